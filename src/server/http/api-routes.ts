/**
 * Every API route and the methods its handlers serve, as the route files under src/app/api
 * export them (tests/api-routes.test.ts keeps the two identical). The request gate answers a
 * method outside this list itself, with this list as `Allow`, because Next cannot: it crashes
 * on TRACE and answers a bare 405 with no `Allow` for a method a route does not export.
 *
 * Next also serves OPTIONS on every route and HEAD wherever GET is served, from the same
 * exports; a route that must not answer HEAD refuses it itself (the metric download does).
 */
export type ApiRoute = { path: string; methods: readonly string[] };

export const apiRoutes: readonly ApiRoute[] = [
  { path: "/api/auth/[...nextauth]", methods: ["GET", "POST"] },
  { path: "/api/health", methods: ["GET"] },
  { path: "/api/inngest", methods: ["GET", "POST", "PUT"] },
  { path: "/api/openapi.json", methods: ["GET"] },
  { path: "/api/trpc/[trpc]", methods: ["GET", "POST"] },
  { path: "/api/teams/[teamId]/documents/[id]/export-visits", methods: ["GET", "POST"] },
  { path: "/api/teams/[teamId]/documents/[id]/views-count", methods: ["GET"] },
  { path: "/api/teams/[teamId]/datarooms/[id]/export-visits", methods: ["GET", "POST"] },
  { path: "/api/teams/[teamId]/datarooms/[id]/views-count", methods: ["GET"] },
  { path: "/api/teams/[teamId]/datarooms/[id]/groups/[groupId]/export-visits", methods: ["GET", "POST"] },
  { path: "/api/teams/[teamId]/export-jobs", methods: ["GET"] },
  { path: "/api/teams/[teamId]/export-jobs/[exportId]", methods: ["GET", "PATCH", "DELETE"] },
  { path: "/api/teams/[teamId]/export-jobs/[exportId]/send-email", methods: ["POST"] },
  { path: "/api/teams/[teamId]/schedules", methods: ["GET", "POST"] },
  { path: "/api/teams/[teamId]/schedules/[scheduleId]", methods: ["GET", "PATCH", "DELETE"] },
  { path: "/api/teams/[teamId]/schedules/[scheduleId]/run", methods: ["POST"] },
  { path: "/api/teams/[teamId]/schedules/[scheduleId]/runs", methods: ["GET"] },
  { path: "/api/v2/metric_files/[id]/download", methods: ["GET"] },
  { path: "/api/v2/metrics/[id]/download", methods: ["GET"] },
];

function matches(route: ApiRoute, segments: readonly string[]): boolean {
  const pattern = route.path.split("/").slice(1);
  const catchAll = pattern.at(-1)?.startsWith("[...") ?? false;
  if (catchAll ? segments.length < pattern.length : segments.length !== pattern.length) return false;
  return pattern.every((part, i) => part.startsWith("[") || part === segments[i]);
}

/** The route a path's segments (already split, not decoded) belong to, if any. */
export function findApiRoute(segments: readonly string[]): ApiRoute | undefined {
  return apiRoutes.find((route) => matches(route, segments));
}
