import type { Metadata } from "next";

import { SchedulesPage } from "~/components/schedules/schedules-page";

export const metadata: Metadata = { title: "Schedules · Export Center" };

/** Every member sees the team's schedules and runs them now; owners and admins create and change them. */
export default function Page() {
  return <SchedulesPage />;
}
