// The Redis driver against the whole conformance suite, on real redis-server processes
// (one per endpoint), with and without a channel prefix.
import { describe } from "node:test";
import { runConformance } from "../../dist/testing.js";
import { redisHarness } from "../helpers/brokers.mjs";
import { brokerSkipReason } from "../helpers/servers.mjs";

const skip = brokerSkipReason("redis-server");
if (skip) {
  describe("conformance: redis_pubsub_driver", { skip }, () => {});
} else {
  runConformance(redisHarness("redis_pubsub_driver"));
  runConformance(redisHarness("redis_pubsub_driver, channel_prefix pubsub:", { channel_prefix: "pubsub:" }));
}
