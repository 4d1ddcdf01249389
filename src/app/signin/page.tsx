import { redirect } from "next/navigation";

import { signInAsDemo, signInWithPassword, signInWithProvider } from "~/app/signin/actions";
import { devLoginEnabled } from "~/env";
import { auth } from "~/server/auth";
import { signInButtons } from "~/server/auth/config";

export const dynamic = "force-dynamic";

const errorMessages: Record<string, string> = {
  CredentialsSignin: "Wrong email or password.",
  NoTeam: "Your account is not a member of any team yet. Ask a team owner to invite you.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ error?: string }> }) {
  if ((await auth())?.user?.id) redirect("/");
  const { error } = await searchParams;
  const oauth = signInButtons();

  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center gap-6 px-4 py-12">
      <div>
        <h1 className="text-2xl font-semibold">Sign in to Export Center</h1>
        <p className="mt-1 text-sm text-slate-600">Export large data sets to CSV in the background.</p>
      </div>

      {error && (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {errorMessages[error] ?? "Sign-in failed. Please try again."}
        </p>
      )}

      {devLoginEnabled() && (
        <section aria-labelledby="dev-signin" className="flex flex-col gap-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
          <h2 id="dev-signin" className="text-sm font-medium text-slate-700">Development sign-in</h2>
          <form action={signInAsDemo}>
            <button type="submit" className="w-full rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
              Continue as demo user
            </button>
          </form>
          <div className="text-center text-xs text-slate-500">or with email and password</div>
          <form action={signInWithPassword} className="flex flex-col gap-3">
            <label className="flex flex-col gap-1 text-sm">
              Email
              <input name="email" type="email" required autoComplete="email" className="rounded-md border border-slate-300 px-3 py-2" />
            </label>
            <label className="flex flex-col gap-1 text-sm">
              Password
              <input name="password" type="password" required autoComplete="current-password" className="rounded-md border border-slate-300 px-3 py-2" />
            </label>
            <button type="submit" className="rounded-md border border-slate-300 bg-white px-4 py-2 font-medium hover:bg-slate-50">
              Sign in
            </button>
          </form>
        </section>
      )}

      {oauth.length > 0 && (
        <section aria-label="Other sign-in methods" className="flex flex-col gap-2">
          {oauth.map((p) => (
            <form key={p.id} action={signInWithProvider}>
              <input type="hidden" name="provider" value={p.id} />
              {p.type === "email" && (
                <label className="mb-2 flex flex-col gap-1 text-sm">
                  Email for a sign-in link
                  <input name="email" type="email" required className="rounded-md border border-slate-300 px-3 py-2" />
                </label>
              )}
              <button type="submit" className="w-full rounded-md border border-slate-300 bg-white px-4 py-2 font-medium hover:bg-slate-50">
                Continue with {p.name}
              </button>
            </form>
          ))}
        </section>
      )}
    </main>
  );
}
