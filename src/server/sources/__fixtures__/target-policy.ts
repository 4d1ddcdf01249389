import { TEST_DATABASE_URL } from "../../../../tests/support/test-env";
import { postgresTarget } from "../postgres/postgres-connection";
import { type SourceTargetPolicy } from "../source-target";

/** A development machine's policy: private networks allowed, the test run's own app database refused. */
export function developmentPolicy(): SourceTargetPolicy {
  return {
    allowPrivateNetworks: true,
    overrideSetting: "DATA_SOURCE_ALLOW_PRIVATE_NETWORKS",
    appDatabase: postgresTarget({ url: TEST_DATABASE_URL }),
  };
}
