import type { Metadata } from "next";

import { ApiTokensPage } from "~/components/api-tokens/api-tokens-page";

export const metadata: Metadata = { title: "API tokens · Export Center" };

/** Every member lists and revokes their own tokens here; owners and admins also create them and see the team's. */
export default function Page() {
  return <ApiTokensPage />;
}
