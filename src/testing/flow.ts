import type { PublisherApi } from "../agents/api.js";
import { PROBE_TABLE, type Collector } from "./collector.js";

/** How often a probe is repeated while a path is not delivering yet. */
const PROBE_INTERVAL_MS = 20;

/**
 * Waits until events from `publisher` on `topic` reach every collector: it sends probe
 * events until each collector received one. This is how a test knows subscriptions and
 * connections are in place (ZeroMQ's "slow joiner"): it waits for a first message, not
 * for a timer. Probes carry {@link PROBE_TABLE}; {@link Collector.of} leaves them out.
 */
export async function waitForFlow(
  publisher: Pick<PublisherApi, "sendEvent">,
  collectors: readonly Collector[],
  topic = "D",
): Promise<void> {
  const tag = `${topic}:${Math.random().toString(36).slice(2)}`;
  const arrived = (collector: Collector) =>
    collector.events.some((event) => event.table === PROBE_TABLE && event.key === tag);
  let failure: unknown;
  const probe = () => {
    publisher.sendEvent({ table: PROBE_TABLE, key: tag, action: "probe", value: null }, topic).catch((err: unknown) => {
      failure ??= err;
    });
  };
  probe();
  const timer = setInterval(probe, PROBE_INTERVAL_MS);
  try {
    await Promise.all(collectors.map((collector) => collector.until(() => arrived(collector) || failure !== undefined, `a probe on topic ${topic}`)));
    if (failure !== undefined) throw failure;
  } finally {
    clearInterval(timer);
  }
}
