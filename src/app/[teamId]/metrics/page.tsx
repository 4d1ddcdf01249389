import type { Metadata } from "next";

import { MetricsPage } from "~/components/metrics/metrics-page";

export const metadata: Metadata = { title: "Metrics · Export Center" };

export default function Page() {
  return <MetricsPage />;
}
