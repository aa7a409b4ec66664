import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { hasStats, isLossCounting, type PublisherApi, type SubscriberApi, type SubscriberStats } from "../contract.js";
import type { PublisherServiceStats } from "../agents/publisher-service.js";

/** The agents whose counters {@link createMetricsRegistry} exposes; each one is optional. */
export interface MetricsSources {
  /** A publisher service (`pubsub-run service`, `loadPublisherService()`): its relay counters and its inbox's. */
  service?: { readonly stats: PublisherServiceStats } | undefined;
  /** A subscriber: delivered, dropped, syncs, gaps, ... and the publishers it follows. */
  subscriber?: SubscriberApi | undefined;
  /** A publisher: what it queues, what waits for the service's confirmation, what it lost. */
  publisher?: PublisherApi | undefined;
}

/** Options of {@link createMetricsRegistry}. */
export interface MetricsRegistryOptions {
  /** Also collect prom-client's default process metrics (CPU, memory, event loop, GC). Default true. */
  processMetrics?: boolean | undefined;
  /** Prefix of every metric name. Default `"pubsub_"`. */
  prefix?: string | undefined;
}

type Labels = Record<string, string>;
/** One series' value on a scrape; undefined when the agent does not keep it (no sample). */
type Sample = readonly [Labels, number | undefined];

/** The subscriber counters, by metric name (after the prefix and `subscriber_`). */
const SUBSCRIBER_COUNTERS: readonly (readonly [string, keyof SubscriberStats, string])[] = [
  ["delivered_total", "delivered", "Events handed to the callback."],
  ["dropped_total", "dropped", "Messages dropped: undecodable, duplicates, or on a topic not registered."],
  ["undecodable_total", "undecodable", "Messages dropped because they could not be decoded (garbage on the wire)."],
  ["syncs_total", "syncs", 'Resynchronisation notices ("sync") given to the callback.'],
  ["gaps_total", "gaps", "Breaks found in a publisher's sequence on a topic."],
  ["missed_total", "missed", "Events known to be missing from the gaps."],
  ["duplicates_total", "duplicates", "Events that arrived a second time, dropped."],
  ["callback_errors_total", "callbackErrors", "Callback calls that threw or rejected."],
];

/**
 * A prom-client `Registry` with the counters the given agents keep, read from their
 * `stats` on each scrape (nothing is counted on the path of an event), and by default
 * the process metrics. Mount it in any HTTP server: `registry.metrics()` is the body,
 * `registry.contentType` its type. `pubsub-run service` and `subscribe` serve the same
 * with `--metrics HOST:PORT`.
 *
 * Subscriber counters carry an `agent` label: `subscriber` for `sources.subscriber`,
 * `service_inbox` for the publisher service's inbox (the workers' events).
 *
 * No publish-to-callback latency is measured: no timestamp travels on the wire (the
 * stamp is a publisher id and a sequence number), and the Dragonflow format has none.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createMetricsRegistry, loadFromConfig } from "pubsub-run";
 *
 * const pubsub = await loadFromConfig({ onEvent });
 * const registry = createMetricsRegistry({ subscriber: pubsub.subscriber ?? undefined });
 * createServer(async (req, res) => {
 *   res.setHeader("content-type", registry.contentType);
 *   res.end(await registry.metrics());
 * }).listen(9464, "127.0.0.1");
 * ```
 */
export function createMetricsRegistry(sources: MetricsSources, options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  const prefix = options.prefix ?? "pubsub_";
  const metric = new MetricFactory(registry, prefix);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix });

  const subscribers: (readonly [string, () => { stats: SubscriberStats | undefined; known: number | undefined }])[] = [];
  const { service, subscriber, publisher } = sources;
  if (service !== undefined) {
    const stats = (): PublisherServiceStats => service.stats;
    metric.counter("service_relayed_total", "Events the network publisher accepted from the service.", () => stats().relayed);
    metric.counter("service_failed_total", "Events the network publisher refused (each one is logged).", () => stats().failed);
    metric.gauge("service_queued", "Events queued in the service's network publisher.", () => stats().queued);
    metric.counter(
      "service_lost_total",
      "Events the network publisher accepted and its transport then lost (a broker that never confirmed them).",
      () => stats().lost,
    );
    metric.counter(
      "service_queue_overflows_total",
      "Times an event found a subscriber's queue full (zmq.send_high_water_mark): that subscriber missed it.",
      () => stats().queueOverflows,
    );
    metric.counter(
      "service_subscription_resets_total",
      "Times every subscriber connection was ended because the distinct topics subscribed passed zmq.max_subscription_bytes.",
      () => stats().subscriptionResets,
    );
    metric.counter("service_connections_accepted_total", "Subscriber connections accepted.", () => stats().connections?.accepted);
    metric.counter("service_connections_lost_total", "Subscriber connections lost.", () => stats().connections?.lost);
    metric.gauge("service_subscribers", "Subscribers of this project connected to the network publisher now.", () => stats().subscribers);
    subscribers.push(["service_inbox", () => ({ stats: stats().inbox, known: stats().publishersKnown })]);
  }
  if (subscriber !== undefined) {
    subscribers.push([
      "subscriber",
      () => ({ stats: hasStats(subscriber) ? subscriber.stats : undefined, known: numberOf(subscriber, "publishersKnown") }),
    ]);
  }
  if (subscribers.length > 0) {
    const read = (pick: (agent: ReturnType<(typeof subscribers)[number][1]>) => number | undefined) => (): Sample[] =>
      subscribers.map(([agent, get]) => [{ agent }, pick(get())] as const);
    for (const [name, key, help] of SUBSCRIBER_COUNTERS) {
      metric.labelled(
        "counter",
        `subscriber_${name}`,
        help,
        read((agent) => agent.stats?.[key]),
      );
    }
    metric.labelled(
      "gauge",
      "subscriber_publishers_known",
      "Publishers whose sequences the subscriber follows now.",
      read((agent) => agent.known),
    );
  }
  if (publisher !== undefined) {
    metric.gauge("publisher_queued", "Events the publisher accepted and has not written yet.", () => numberOf(publisher, "queued"));
    metric.gauge(
      "publisher_replay_window_events",
      "Events sent to the publisher service and not confirmed yet (the replay window, zmq.replay_window).",
      () => numberOf(publisher, "unconfirmed"),
    );
    metric.counter("publisher_lost_total", "Events accepted, then lost by the transport.", () =>
      isLossCounting(publisher) ? publisher.lost : undefined,
    );
  }
  return registry;
}

/**
 * Makes metrics whose values are read when scraped. What an agent keeps is known when it
 * is built (its driver counts it or not), so a metric no agent keeps is not made.
 */
class MetricFactory {
  constructor(
    readonly registry: Registry,
    readonly prefix: string,
  ) {}

  counter(name: string, help: string, read: () => number | undefined): void {
    this.labelled("counter", name, help, () => [[{}, read()]]);
  }

  gauge(name: string, help: string, read: () => number | undefined): void {
    this.labelled("gauge", name, help, () => [[{}, read()]]);
  }

  /** A metric of the series `read` returns; none when the agents keep none of them (a driver that does not count it). */
  labelled(type: "counter" | "gauge", name: string, help: string, read: () => Sample[]): void {
    const kept = read().filter(([, value]) => value !== undefined);
    if (kept.length === 0) return;
    const labelNames = [...new Set(kept.flatMap(([labels]) => Object.keys(labels)))];
    const common = { name: `${this.prefix}${name}`, help, labelNames, registers: [this.registry] };
    if (type === "gauge") {
      new Gauge({
        ...common,
        collect(this: Gauge) {
          this.reset();
          for (const [labels, value] of read()) if (value !== undefined) this.set(labels, value);
        },
      });
      return;
    }
    new Counter({
      ...common,
      collect(this: Counter) {
        this.reset();
        for (const [labels, value] of read()) if (value !== undefined) this.inc(labels, value);
      },
    });
  }
}

function numberOf(agent: object, key: string): number | undefined {
  const value = (agent as Record<string, unknown>)[key];
  return typeof value === "number" ? value : undefined;
}
