// The NATS driver against the whole conformance suite, on real nats-server processes
// (one per endpoint).
import { describe } from "node:test";
import { runConformance } from "../../dist/testing.js";
import { natsHarness } from "../helpers/brokers.mjs";
import { brokerSkipReason } from "../helpers/servers.mjs";

const skip = brokerSkipReason("nats-server");
if (skip) {
  describe("conformance: nats_pubsub_driver", { skip }, () => {});
} else {
  runConformance(natsHarness("nats_pubsub_driver"));
}
