// A subscriber process: ours (loadFromConfig, the network driver; with `iterate`, a
// `for await` loop over events() instead of the callback) or a raw zeromq.js SUB loop. Counts measured events and reports when `expect` have come; in latency mode
// also the publish -> callback latency of each (the first `warmup` events apart: the
// process is still compiling and sizing its heap then); on "measure" its RSS after a GC.
// With `metrics`, ours has a metrics registry scraped every second, as a Prometheus
// server would: process metrics included, or with "counters" only the subscriber's.
import { unpack } from "msgpackr";
import * as zmq from "zeromq";
import { createMetricsRegistry, loadFromConfig } from "../../dist/index.js";
import { BENCH_TABLE, END_TABLE, PROBE_TABLE, TOPIC, nowNs } from "../lib/events.mjs";
import { percentile } from "../lib/stats.mjs";
import { rawBrokerSubscriber } from "./raw-brokers.mjs";
import { closeWith, on, options, report } from "./role.mjs";

const {
  impl,
  addresses,
  expect,
  latency = false,
  warmup = 0,
  overrides = {},
  configPath,
  highWaterMark,
  iterate = false,
  metrics = false,
} = options;

let count = 0;
let first = 0;
let last = 0;
let probed = false;
let ended = false;
const latencies = latency ? new Float64Array(expect) : null;

function onEvent(table, key) {
  if (table === BENCH_TABLE) {
    const now = nowNs();
    if (count === 0) first = now;
    if (latencies !== null && count < expect) latencies[count] = now - Number(key);
    count += 1;
    last = now;
    if (count === expect) report({ type: "done", count, first, last, ...(latencies === null ? {} : latencySummaries()) });
  } else if (table === PROBE_TABLE) {
    if (!probed) report({ type: "probed" });
    probed = true;
  } else if (table === END_TABLE && !ended) {
    ended = true;
    report({ type: "end", count, first, last });
  }
}

/** Steady-state latency (after the warm-up events) and, apart, the warm-up's own. */
function latencySummaries() {
  const steady = summary(latencies.subarray(warmup));
  return warmup > 0 ? { latency: steady, warmupLatency: summary(latencies.subarray(0, warmup)) } : { latency: steady };
}

function summary(values) {
  const sorted = Float64Array.from(values).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), max: sorted[sorted.length - 1] };
}

async function ours() {
  const loaded = await loadFromConfig({
    configPath,
    env: {},
    publisher: false,
    overrides: { ...overrides, publishers: addresses, topics: [TOPIC] },
    ...(iterate ? {} : { onEvent }),
  });
  const loop = iterate
    ? (async () => {
        for await (const event of loaded.events()) onEvent(event.table, event.key, event.action, event.value, event.topic);
      })()
    : undefined;
  const registry = metrics
    ? createMetricsRegistry({ subscriber: loaded.subscriber ?? undefined }, { processMetrics: metrics !== "counters" })
    : undefined;
  const scraper = registry === undefined ? undefined : setInterval(() => void registry.metrics(), 1_000);
  return async () => {
    clearInterval(scraper);
    await loaded.close();
    await loop;
  };
}

async function raw() {
  const socket = new zmq.Subscriber();
  socket.linger = 0;
  if (highWaterMark !== undefined) socket.receiveHighWaterMark = highWaterMark;
  socket.subscribe(TOPIC);
  for (const address of addresses) socket.connect(address);
  const loop = (async () => {
    try {
      for await (const [, ...payloads] of socket) {
        for (const payload of payloads) {
          const map = unpack(payload);
          onEvent(map.table, map.key, map.action, map.value, map.topic);
        }
      }
    } catch {
      // closed
    }
  })();
  return async () => {
    socket.close();
    await loop;
  };
}

const close =
  impl === "raw" ? await raw() : impl.startsWith("raw-") ? await rawBrokerSubscriber(impl, addresses[0], onEvent) : await ours();
closeWith(close);
on("measure", () => {
  globalThis.gc?.();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  report({ type: "rss", rss, heapUsed, external, arrayBuffers, count });
});
report({ type: "ready" });
