"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";

import { signOutAction } from "~/components/team-header-actions";

type Team = { id: string; name: string; role: string };

export function TeamHeader({ teamId, teams, user }: { teamId: string; teams: Team[]; user: { email: string; name: string | null } }) {
  const router = useRouter();
  const pathname = usePathname();
  const section = pathname.split("/")[2] ?? "exports";

  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
        <Link href={`/${teamId}/exports`} className="font-semibold text-slate-900">
          Export Center
        </Link>
        <nav aria-label="Sections" className="flex gap-4 text-sm">
          <Link href={`/${teamId}/exports`} aria-current={section === "exports" ? "page" : undefined} className="text-slate-700 hover:text-slate-900 aria-[current=page]:font-semibold">
            Exports
          </Link>
        </nav>
        <div className="ml-auto flex items-center gap-3 text-sm">
          <label className="flex items-center gap-2">
            <span className="sr-only sm:not-sr-only">Team</span>
            <select
              value={teamId}
              onChange={(e) => router.push(`/${e.target.value}/${section}`)}
              className="rounded-md border border-slate-300 bg-white px-2 py-1"
            >
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          <span className="hidden text-slate-600 md:inline" title={user.email}>
            {user.name ?? user.email}
          </span>
          <form action={signOutAction}>
            <button type="submit" className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50">
              Sign out
            </button>
          </form>
        </div>
      </div>
    </header>
  );
}
