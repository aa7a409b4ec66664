// --metrics HOST:PORT on `pubsub-run service` and `subscribe`: Prometheus metrics,
// /healthz and /readyz over real HTTP on 127.0.0.1, from real processes.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePort, until } from "../../dist/testing.js";
import { runCli } from "../helpers/cli.mjs";
import { processStarter } from "../helpers/process.mjs";
import { socketDir } from "../helpers/zmq.mjs";

const start = processStarter();

/** A port and a socket path of the test's own, as --set flags. */
async function topology() {
  const port = await freePort();
  const socket = join(await socketDir(), "publisher.sock");
  return { port, socket, sets: ["--set", `publisher_port=${port}`, "--set", `publisher_multiproc_socket=${socket}`] };
}

async function get(port, path) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
}

/** The value of one series in Prometheus' text format (`name{labels} value`), or undefined. */
function sample(body, series) {
  const line = body.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Scrapes `port` until `series` has `value` (the scrape is the probe: nothing else says when a counter moved). */
async function untilSample(port, series, value) {
  let last;
  let seen;
  const reached = new Promise((resolve) => (seen = resolve));
  await until(reached, `${series} to be ${value}`, {
    probe: async () => {
      last = await get(port, "/metrics");
      if (sample(last.body, series) === value) seen();
    },
    status: () => `last scrape:\n${last?.body ?? "(none)"}`,
  });
}

describe("pubsub-run service and subscribe --metrics", () => {
  it("/readyz is 503 until a publisher greets the subscriber, then 200; counters move as events flow", async () => {
    const { port, sets } = await topology();
    const [subscriberMetrics, serviceMetrics] = [await freePort(), await freePort()];
    const subscriber = start([
      "subscribe",
      "--publisher",
      `tcp://127.0.0.1:${port}`,
      "--metrics",
      `127.0.0.1:${subscriberMetrics}`,
      ...sets,
    ]);
    await subscriber.waitFor(/pubsub-run subscribe: ready/);

    assert.equal((await get(subscriberMetrics, "/healthz")).status, 200);
    assert.equal((await get(subscriberMetrics, "/readyz")).status, 503, "no publisher has greeted it yet");
    assert.equal((await get(subscriberMetrics, "/nope")).status, 404);
    const before = await get(subscriberMetrics, "/metrics");
    assert.equal(before.status, 200);
    assert.match(before.type, /^text\/plain; version=0\.0\.4/);
    assert.equal(sample(before.body, 'pubsub_subscriber_delivered_total{agent="subscriber"}'), 0);
    assert.ok(sample(before.body, "pubsub_process_resident_memory_bytes") > 0, "the process metrics are there");

    const service = start(["service", "--json", "--metrics", `127.0.0.1:${serviceMetrics}`, ...sets]);
    await service.waitFor(/"msg":"ready: relaying/);
    assert.equal((await get(serviceMetrics, "/readyz")).status, 200, "the service is bound and relaying");
    assert.equal((await get(serviceMetrics, "/healthz")).status, 200);
    await subscriber.waitFor(/connected to tcp:\/\/127\.0\.0\.1/);
    assert.equal((await get(subscriberMetrics, "/readyz")).status, 200, "a publisher greeted it");
    await untilSample(serviceMetrics, "pubsub_service_subscribers", 1);

    const published = await runCli(["publish", "--stdin", ...sets], {
      input: ["a", "b", "c"].map((key) => JSON.stringify({ table: "t", key, action: "set", value: {} })).join("\n") + "\n",
    });
    assert.equal(published.code, 0, published.stderr);
    await subscriber.waitForCount(/"key":"c"/, 1);
    await untilSample(serviceMetrics, "pubsub_service_relayed_total", 3);
    const after = (await get(subscriberMetrics, "/metrics")).body;
    assert.equal(
      sample(after, 'pubsub_subscriber_delivered_total{agent="subscriber"}'),
      subscriber.stdout.length,
      "every event line (sync notices too) was counted",
    );
    assert.ok(subscriber.stdout.length >= 3);
    assert.equal(sample(after, 'pubsub_subscriber_undecodable_total{agent="subscriber"}'), 0);
    assert.equal(sample(after, 'pubsub_subscriber_publishers_known{agent="subscriber"}'), 1, "one worker's sequence followed");
    const serviceBody = (await get(serviceMetrics, "/metrics")).body;
    assert.equal(sample(serviceBody, "pubsub_service_failed_total"), 0);
    assert.equal(sample(serviceBody, "pubsub_service_queue_overflows_total"), 0);
    assert.equal(sample(serviceBody, "pubsub_service_connections_accepted_total"), 1);

    for (const p of [subscriber, service]) {
      p.kill("SIGTERM");
      assert.deepEqual(await p.exit(), { code: 0, signal: null });
    }
    await assert.rejects(get(serviceMetrics, "/healthz"), "the listener is closed on exit");
  });

  for (const command of ["service", "subscribe"]) {
    it(`${command} --metrics with a bad value: exit 2, one line naming --metrics`, async () => {
      for (const bad of ["9464", "127.0.0.1:", "127.0.0.1:70000", "a b:1"]) {
        const { code, stdout, stderr } = await runCli([command, "--metrics", bad]);
        assert.equal(code, 2, stderr);
        assert.equal(stdout, "");
        assert.match(stderr, /^[^\n]+\n$/, "one line");
        assert.match(stderr, new RegExp(`^pubsub-run ${command}: --metrics: (must be HOST:PORT|port must be 1 to 65535)`));
      }
    });
  }

  it("a metrics port in use: exit 2, one line naming the flag, or the option and where its value came from", async () => {
    const holder = createServer();
    await new Promise((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const taken = holder.address().port;
    try {
      const { sets } = await topology();
      const flag = await runCli(["service", "--metrics", `127.0.0.1:${taken}`, ...sets]);
      assert.equal(flag.code, 2, flag.stderr);
      assert.match(flag.stderr, /^[^\n]+\n$/, "one line");
      assert.match(flag.stderr, new RegExp(`--metrics: cannot bind http://127\\.0\\.0\\.1:${taken}: address already in use`));

      const env = await runCli(["subscribe", ...sets], { env: { PUBSUB_METRICS_LISTEN: `127.0.0.1:${taken}` } });
      assert.equal(env.code, 2, env.stderr);
      assert.match(
        env.stderr,
        new RegExp(`PUBSUB_METRICS_LISTEN: metrics_listen: cannot bind http://127\\.0\\.0\\.1:${taken}: address already in use`),
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("a bad metrics_listen: exit 2, one line naming where it came from", async () => {
    const { code, stderr } = await runCli(["subscribe", "--set", "metrics_listen=localhost"]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^[^\n]+\n$/, "one line");
    assert.match(stderr, /metrics_listen: must match/);
  });
});
