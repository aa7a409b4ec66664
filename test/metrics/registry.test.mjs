// createMetricsRegistry() over real agents (ZeroMQ on 127.0.0.1, in this process): the
// values are the agents' stats, read at each scrape.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createStderrLogger, createMetricsRegistry, loadFromConfig, parseListenAddress } from "../../dist/index.js";
import { Collector, freePort, until, waitForFlow } from "../../dist/testing.js";

const loaded = [];
after(() => Promise.all(loaded.map((pubsub) => pubsub.close())));

/** The value of one series (`name{labels}`) in Prometheus' text format, or undefined when absent. */
function sample(text, series) {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function zmqPair() {
  const port = await freePort();
  const collector = new Collector();
  const pubsub = await loadFromConfig({
    env: {},
    overrides: { pub_sub_use_multiproc: false, publisher_port: port, publisher_bind_address: "127.0.0.1" },
    onEvent: collector.callback,
    logger: createStderrLogger("silent"),
  });
  loaded.push(pubsub);
  await waitForFlow(pubsub.publisher, [collector]);
  return { pubsub, collector };
}

describe("createMetricsRegistry()", () => {
  it("reads the subscriber's and the publisher's counters when scraped", async () => {
    const { pubsub, collector } = await zmqPair();
    const registry = createMetricsRegistry({ subscriber: pubsub.subscriber, publisher: pubsub.publisher }, { processMetrics: false });
    const before = await registry.metrics();
    const delivered = 'pubsub_subscriber_delivered_total{agent="subscriber"}';
    assert.equal(sample(before, delivered), collector.events.length);

    for (const key of ["a", "b", "c"]) await pubsub.publisher.sendEvent({ table: "t", key, action: "set", value: null });
    await until(() => collector.count("t") === 3, "3 events", { changes: collector.changes });
    const afterEvents = await registry.metrics();
    assert.equal(sample(afterEvents, delivered), collector.events.length, "the same registry, a fresh value");
    assert.equal(sample(afterEvents, delivered) - sample(before, delivered) >= 3, true);
    assert.equal(sample(afterEvents, 'pubsub_subscriber_publishers_known{agent="subscriber"}'), 1);
    assert.equal(sample(afterEvents, 'pubsub_subscriber_gaps_total{agent="subscriber"}'), 0);
    assert.equal(sample(afterEvents, "pubsub_publisher_queued"), 0);
    assert.match(afterEvents, /^# TYPE pubsub_subscriber_delivered_total counter$/m);
    assert.match(afterEvents, /^# TYPE pubsub_publisher_queued gauge$/m);
    // The network publisher keeps no replay window and no loss count: those are left out, not 0.
    assert.doesNotMatch(afterEvents, /pubsub_publisher_replay_window_events/);
    assert.doesNotMatch(afterEvents, /pubsub_process_|pubsub_nodejs_/, "process metrics were turned off");
  });

  it("adds the process metrics by default, under the prefix", async () => {
    const text = await createMetricsRegistry({}, { prefix: "x_" }).metrics();
    assert.ok(sample(text, "x_process_resident_memory_bytes") > 0);
    assert.doesNotMatch(text, /^pubsub_/m);
  });
});

describe("parseListenAddress()", () => {
  it("takes HOST:PORT and [IPv6]:PORT; says what is wrong otherwise", () => {
    assert.deepEqual(parseListenAddress("127.0.0.1:9464"), { host: "127.0.0.1", port: 9464 });
    assert.deepEqual(parseListenAddress("[::1]:9464"), { host: "::1", port: 9464 });
    assert.deepEqual(parseListenAddress("localhost:1"), { host: "localhost", port: 1 });
    assert.match(parseListenAddress("9464"), /^must be HOST:PORT/);
    assert.match(parseListenAddress("::1:9464"), /^must be HOST:PORT/);
    assert.match(parseListenAddress("127.0.0.1:0"), /^port must be 1 to 65535/);
    assert.match(parseListenAddress("127.0.0.1:65536"), /^port must be 1 to 65535/);
  });
});
