// Broker scenarios: a throwaway redis-server or nats-server on a free loopback port for
// the whole scenario, our driver beside the raw client, alternating.
import { brokerSkipReason, startNats, startRedis } from "../../test/helpers/servers.mjs";
import { alternate, row } from "./compare.mjs";
import { deliveredRate, runOnce } from "./topology.mjs";

const BROKERS = {
  redis: { binary: "redis-server", start: startRedis, driver: "redis_pubsub_driver", section: (url) => ({ redis: { url } }) },
  nats: { binary: "nats-server", start: startNats, driver: "nats_pubsub_driver", section: (url) => ({ nats: { servers: [url] } }) },
};

/**
 * Runs `count` events from one publisher to one subscriber through the broker: ours (one
 * awaited `sendEvent` per event, the driver pipelines) and the raw client. Returns the
 * rows, or one row saying why the scenario was skipped.
 */
export async function brokerScenario(name, { count, size, rounds, progress }) {
  const broker = BROKERS[name];
  const skip = brokerSkipReason(broker.binary);
  if (skip) return [row(name, `skipped: ${skip}`, "events/s", null, null)];
  const server = await broker.start();
  try {
    const overrides = { pub_sub_driver: broker.driver, pub_sub_use_multiproc: false, ...broker.section(server.url) };
    const via = { url: server.url, overrides };
    const raw = () =>
      runOnce({ broker: via, publisher: { impl: `raw-${name}`, count, size }, subscriber: { impl: `raw-${name}`, expect: count } }).then(
        deliveredRate,
      );
    const ours = () =>
      runOnce({ broker: via, publisher: { impl: "ours", count, size }, subscriber: { impl: "ours", expect: count } }).then(deliveredRate);
    const result = await alternate(rounds, raw, ours, progress);
    return [row(name, "events/s", "events/s", result.ours, result.raw)];
  } finally {
    await server.close();
  }
}
