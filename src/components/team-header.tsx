"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";

import { isTeamAdmin, type TeamRole } from "~/components/team-context";
import { signOutAction } from "~/components/team-header-actions";

type Team = { id: string; name: string; role: TeamRole };

const sections = [
  { id: "exports", label: "Exports", short: "Exports", adminOnly: false },
  { id: "metrics", label: "Metrics", short: "Metrics", adminOnly: false },
  { id: "data-sources", label: "Data sources", short: "Sources", adminOnly: true },
  { id: "schedules", label: "Schedules", short: "Schedules", adminOnly: false },
  { id: "tokens", label: "API tokens", short: "Tokens", adminOnly: false },
  { id: "audit", label: "Audit log", short: "Audit", adminOnly: true },
] as const;

const roleLabels: Record<TeamRole, string> = { OWNER: "Owner", ADMIN: "Admin", MEMBER: "Member", VIEWER: "Viewer" };

type TeamHeaderProps = {
  teamId: string;
  role: TeamRole;
  teams: Team[];
  user: { email: string; name: string | null };
  /** The embedded engine's dashboard, under `npm start` only (ENGINE_DASHBOARD_URL in src/env.ts). */
  engineDashboardUrl?: string;
};

export function TeamHeader({ teamId, role, teams, user, engineDashboardUrl }: TeamHeaderProps) {
  const router = useRouter();
  const pathname = usePathname();
  const section = pathname.split("/")[2] || "exports";
  const visible = sections.filter((s) => !s.adminOnly || isTeamAdmin(role));

  function switchTeam(id: string) {
    const target = teams.find((t) => t.id === id);
    const adminOnly = sections.find((s) => s.id === section)?.adminOnly ?? false;
    // The same section in the other team, unless that team would not let this user see it.
    const next = !target || (adminOnly && !isTeamAdmin(target.role)) ? "exports" : section;
    router.push(`/${id}/${next}`);
  }

  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 px-4 sm:px-6">
        <Link href={`/${teamId}/exports`} className="flex h-14 items-center gap-2 font-semibold text-slate-900">
          <span aria-hidden="true" className="grid size-7 place-items-center rounded-md bg-indigo-600 text-white">
            <svg viewBox="0 0 20 20" fill="currentColor" className="size-4">
              <path d="M10.75 2.75a.75.75 0 0 0-1.5 0v8.614L6.295 8.235a.75.75 0 1 0-1.09 1.03l4.25 4.5a.75.75 0 0 0 1.09 0l4.25-4.5a.75.75 0 0 0-1.09-1.03l-2.955 3.129V2.75Z" />
              <path d="M3.5 12.75a.75.75 0 0 0-1.5 0v2.5A2.75 2.75 0 0 0 4.75 18h10.5A2.75 2.75 0 0 0 18 15.25v-2.5a.75.75 0 0 0-1.5 0v2.5c0 .69-.56 1.25-1.25 1.25H4.75c-.69 0-1.25-.56-1.25-1.25v-2.5Z" />
            </svg>
          </span>
          <span className="hidden sm:inline">Export Center</span>
        </Link>

        <nav aria-label="Sections" className="order-last -mx-4 w-[calc(100%+2rem)] overflow-x-auto border-t border-slate-100 px-4 md:order-none md:mx-0 md:w-auto md:border-0 md:px-0">
          <ul className="flex gap-5 text-sm">
            {visible.map((s) => (
              <li key={s.id}>
                <Link
                  href={`/${teamId}/${s.id}`}
                  aria-current={section === s.id ? "page" : undefined}
                  className="flex h-11 items-center border-b-2 border-transparent whitespace-nowrap text-slate-600 hover:text-slate-900 aria-[current=page]:border-indigo-600 aria-[current=page]:font-medium aria-[current=page]:text-slate-900 md:h-14"
                >
                  {/* On a phone the short words keep all five sections in view, without scrolling. */}
                  <span className="sm:hidden">{s.short}</span>
                  <span className="hidden sm:inline">{s.label}</span>
                </Link>
              </li>
            ))}
          </ul>
        </nav>

        {/* Shrinks before it wraps: on a phone the team picker gives way, not the row. */}
        <div className="ml-auto flex h-14 min-w-0 flex-1 items-center justify-end gap-3 text-sm">
          <label className="flex min-w-0 items-center gap-2">
            <span className="sr-only">Team</span>
            <select
              value={teamId}
              onChange={(e) => switchTeam(e.target.value)}
              className="h-9 min-w-0 max-w-[13rem] rounded-md border border-slate-300 bg-white px-2 text-sm sm:max-w-none"
            >
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} ({roleLabels[t.role]})
                </option>
              ))}
            </select>
          </label>
          {engineDashboardUrl && (
            <a
              href={engineDashboardUrl}
              target="_blank"
              rel="noreferrer"
              className="hidden h-9 items-center rounded-md px-2 whitespace-nowrap text-slate-600 hover:bg-slate-50 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 sm:inline-flex"
            >
              {/* Short where the team picker needs the room; the full name is read out at every width. */}
              Engine<span className="sr-only 2xl:not-sr-only"> dashboard</span>
              <span className="sr-only"> (opens in a new tab)</span>
              <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="ml-1 size-3.5">
                <path d="M11 3a1 1 0 1 0 0 2h2.59l-6.3 6.29a1 1 0 1 0 1.42 1.42L15 6.41V9a1 1 0 1 0 2 0V4a1 1 0 0 0-1-1h-5Z" />
                <path d="M5 5a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2v-3a1 1 0 1 0-2 0v3H5V7h3a1 1 0 0 0 0-2H5Z" />
              </svg>
            </a>
          )}
          <span className="hidden max-w-[12rem] truncate text-slate-600 lg:inline" title={user.email}>
            {user.name ?? user.email}
          </span>
          <form action={signOutAction}>
            <button type="submit" className="h-9 rounded-md border border-slate-300 px-3 whitespace-nowrap hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
              Sign out
            </button>
          </form>
        </div>
      </div>
    </header>
  );
}
