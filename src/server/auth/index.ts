import NextAuth from "next-auth";

import { authConfig } from "~/server/auth/config";

// A function config defers reading the environment to the first request, not the build.
export const { auth, handlers, signIn, signOut } = NextAuth(() => authConfig());
