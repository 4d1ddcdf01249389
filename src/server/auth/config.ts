import { PrismaAdapter } from "@auth/prisma-adapter";
import type { NextAuthConfig } from "next-auth";
import type { Provider } from "next-auth/providers";
import Credentials from "next-auth/providers/credentials";
import GitHub from "next-auth/providers/github";
import Google from "next-auth/providers/google";
import Nodemailer from "next-auth/providers/nodemailer";
import { z } from "zod";

import { devLoginEnabled, type Env, getEnv } from "~/env";
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

/** The providers that get a button of their own; the development sign-in has its own forms. */
function externalProviders(env: Env): Provider[] {
  const providers: Provider[] = [];
  if (env.AUTH_GITHUB_ID && env.AUTH_GITHUB_SECRET) {
    providers.push(GitHub({ clientId: env.AUTH_GITHUB_ID, clientSecret: env.AUTH_GITHUB_SECRET }));
  }
  if (env.AUTH_GOOGLE_ID && env.AUTH_GOOGLE_SECRET) {
    providers.push(Google({ clientId: env.AUTH_GOOGLE_ID, clientSecret: env.AUTH_GOOGLE_SECRET }));
  }
  if (env.EMAIL_SERVER && env.EMAIL_FROM) {
    providers.push(Nodemailer({ name: "email", server: env.EMAIL_SERVER, from: env.EMAIL_FROM }));
  }
  return providers;
}

function configuredProviders(env: Env): Provider[] {
  return [...(devLoginEnabled(env) ? [devCredentials()] : []), ...externalProviders(env)];
}

export type SignInButton = { id: string; name: string; type: string };

/**
 * The sign-in page's provider buttons. A provider function answers with its defaults and
 * keeps the options it was given aside (`options`), which next-auth applies later; the id
 * and name to show are the applied ones, as next-auth itself resolves them.
 */
export function signInButtons(env: Env = getEnv()): SignInButton[] {
  return externalProviders(env).map((provider) => {
    const defaults = typeof provider === "function" ? provider() : provider;
    const options = (defaults as { options?: { id?: string; name?: string } }).options;
    return { id: options?.id ?? defaults.id, name: options?.name ?? defaults.name, type: defaults.type };
  });
}

export function authConfig(): NextAuthConfig {
  const env = getEnv();
  return {
    adapter: PrismaAdapter(db),
    // Credentials sign-in only works with JWT sessions; OAuth and email links work with both.
    session: { strategy: "jwt" },
    secret: env.AUTH_SECRET,
    // Without AUTH_URL, links and redirects are built from the host the browser asked for, so
    // sign-in works at whatever address the user opened (localhost, 127.0.0.1, a machine name).
    // Production needs AUTH_URL or an explicit AUTH_TRUST_HOST (src/env.ts): a forged Host header
    // must not be able to aim an emailed sign-in link at another site.
    trustHost: env.NODE_ENV !== "production" || env.AUTH_TRUST_HOST || env.AUTH_URL !== undefined,
    providers: configuredProviders(env),
    pages: { signIn: "/signin" },
    callbacks: {
      session: ({ session, token }) => ({
        ...session,
        user: { ...session.user, id: token.sub ?? "" },
      }),
    },
  };
}
