import type { PublisherApi } from "../contract.js";
import { PROBE_TABLE, type Collector } from "./collector.js";
import { until } from "./until.js";

/**
 * Waits until events from `publisher` on `topic` reach every collector: it sends probe
 * events (every 20 ms) until each collector received one. This is how a test knows
 * subscriptions and connections are in place (ZeroMQ's "slow joiner"): it waits for a
 * first message, not for a timer. Probes carry {@link PROBE_TABLE}; {@link Collector.of}
 * leaves them out. A probe that `sendEvent` rejects fails the wait.
 */
export async function waitForFlow(
  publisher: Pick<PublisherApi, "sendEvent">,
  collectors: readonly Collector[],
  topic = "D",
): Promise<void> {
  const tag = `${topic}:${Math.random().toString(36).slice(2)}`;
  const from = collectors.map((collector) => collector.events.length);
  const arrived = collectors.map(() => false);
  const all = () =>
    collectors.every((collector, i) => {
      arrived[i] ||= collector.events.slice(from[i]).some((event) => event.table === PROBE_TABLE && event.key === tag);
      from[i] = collector.events.length;
      return arrived[i];
    });
  await until(
    all,
    `a probe on topic ${topic} at ${collectors.length === 1 ? "the subscriber" : `each of ${collectors.length} subscribers`}`,
    {
      changes: collectors.map((collector) => collector.changes),
      timeoutMs: Math.max(...collectors.map((collector) => collector.timeoutMs)),
      status: () => collectors.map((collector, i) => `${arrived[i] ? "probed" : "no probe"}, ${collector.status()}`).join("; "),
      probe: () => publisher.sendEvent({ table: PROBE_TABLE, key: tag, action: "probe", value: null }, topic),
    },
  );
}
