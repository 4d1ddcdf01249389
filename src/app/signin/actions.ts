"use server";

import { AuthError } from "next-auth";
import { redirect } from "next/navigation";

import { signIn } from "~/server/auth";

async function devSignIn(fields: Record<string, string>) {
  try {
    await signIn("dev-login", { ...fields, redirectTo: "/" });
  } catch (error) {
    // signIn redirects by throwing; only a refused sign-in is ours to handle.
    if (error instanceof AuthError) redirect("/signin?error=CredentialsSignin");
    throw error;
  }
}

export async function signInWithPassword(formData: FormData) {
  await devSignIn({ email: String(formData.get("email") ?? ""), password: String(formData.get("password") ?? "") });
}

export async function signInAsDemo() {
  const { DEMO_USER_EMAIL } = await import("~/server/auth/config");
  await devSignIn({ email: DEMO_USER_EMAIL, demo: "1" });
}

export async function signInWithProvider(formData: FormData) {
  const email = formData.get("email");
  await signIn(String(formData.get("provider")), { redirectTo: "/", ...(email ? { email: String(email) } : {}) });
}
