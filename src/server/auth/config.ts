import { PrismaAdapter } from "@auth/prisma-adapter";
import type { NextAuthConfig } from "next-auth";
import type { Provider } from "next-auth/providers";
import Credentials from "next-auth/providers/credentials";
import GitHub from "next-auth/providers/github";
import Google from "next-auth/providers/google";
import Nodemailer from "next-auth/providers/nodemailer";
import { z } from "zod";

import { devLoginEnabled, getEnv } from "~/env";
import { verifyPassword } from "~/server/auth/password";
import { db } from "~/server/db";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name?: string | null; image?: string | null };
  }
}

export const DEMO_USER_EMAIL = "demo@example.com";

const credentialsSchema = z.object({
  email: z.email(),
  password: z.string().optional(),
  demo: z.string().optional(),
});

/** The development sign-in: email and password, or one click as the seeded demo user. */
function devCredentials(): Provider {
  return Credentials({
    id: "dev-login",
    name: "Development sign-in",
    credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
    async authorize(raw) {
      const parsed = credentialsSchema.safeParse(raw);
      if (!parsed.success) return null;
      const user = await db.user.findUnique({ where: { email: parsed.data.email.toLowerCase() } });
      if (!user) return null;
      const isDemo = parsed.data.demo === "1" && user.email === DEMO_USER_EMAIL;
      if (!isDemo) {
        if (!user.passwordHash || !parsed.data.password) return null;
        if (!(await verifyPassword(parsed.data.password, user.passwordHash))) return null;
      }
      return { id: user.id, email: user.email, name: user.name };
    },
  });
}

export function configuredProviders(): Provider[] {
  const env = getEnv();
  const providers: Provider[] = [];
  if (devLoginEnabled(env)) providers.push(devCredentials());
  if (env.AUTH_GITHUB_ID && env.AUTH_GITHUB_SECRET) {
    providers.push(GitHub({ clientId: env.AUTH_GITHUB_ID, clientSecret: env.AUTH_GITHUB_SECRET }));
  }
  if (env.AUTH_GOOGLE_ID && env.AUTH_GOOGLE_SECRET) {
    providers.push(Google({ clientId: env.AUTH_GOOGLE_ID, clientSecret: env.AUTH_GOOGLE_SECRET }));
  }
  if (env.EMAIL_SERVER && env.EMAIL_FROM) {
    providers.push(Nodemailer({ server: env.EMAIL_SERVER, from: env.EMAIL_FROM }));
  }
  return providers;
}

export function authConfig(): NextAuthConfig {
  return {
    adapter: PrismaAdapter(db),
    // Credentials sign-in only works with JWT sessions; OAuth and email links work with both.
    session: { strategy: "jwt" },
    secret: getEnv().AUTH_SECRET,
    trustHost: true,
    providers: configuredProviders(),
    pages: { signIn: "/signin" },
    callbacks: {
      session: ({ session, token }) => ({
        ...session,
        user: { ...session.user, id: token.sub ?? "" },
      }),
    },
  };
}
