/** A second process spending a token's REST budget: `tsx spend-rest-calls.ts <prefix> <tokenId> <n>`. */
import { TEST_REDIS_URL } from "../../../../tests/support/test-env";
import { createRedis } from "~/server/redis";

import { createRateLimits } from "../rate-limits";

const [prefix = "", tokenId = "", n = "1"] = process.argv.slice(2);
const redis = createRedis({ redisUrl: TEST_REDIS_URL });
const limits = createRateLimits(
  redis,
  { exportsPerUser: { limit: 3, window: "2 s" }, exportsPerTeam: { limit: 5, window: "2 s" }, restPerToken: { limit: 4, window: "1 h" } },
  prefix,
);
let passed = 0;
for (let i = 0; i < Number(n); i++) {
  await limits.restCall(tokenId);
  passed++;
}
console.log(`${passed} passed`);
await redis.close();
