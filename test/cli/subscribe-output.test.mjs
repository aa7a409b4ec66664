// pubsub-run subscribe writing to a pipe whose reader is slow or gone. A reader that
// stops reading holds the subscriber back: the process does not buffer the lines it
// cannot write (its RSS stays flat over a 50 MB burst), what the ZeroMQ queues cannot
// hold is counted as missed and announced with a sync line. A reader that goes away
// (EPIPE) ends the subscriber with exit 1 and one line. Real processes, real sockets.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { Session, freePort, until } from "../../dist/testing.js";
import { processStarter } from "../helpers/process.mjs";
import { configFor, quietContext } from "../helpers/zmq.mjs";

const start = processStarter();
/** Events in the burst, 1 KB each: about 55 MB of JSON lines. */
const BURST = 50_000;
/** How much the subscriber's peak RSS may grow over the burst; buffering the lines takes more than the burst. */
const RSS_GROWTH_LIMIT = 40 * 1024 * 1024;
const ZMQ = { send_high_water_mark: 1000, receive_high_water_mark: 1000, heartbeat_interval_ms: 0 };

/** A network publisher on a free port, and `pubsub-run subscribe` connected to it. */
async function publisherAndSubscriber(t) {
  const port = await freePort();
  const address = `tcp://127.0.0.1:${port}`;
  const api = createZmqNetworkDriver(
    await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", zmq: ZMQ }),
    quietContext("network"),
  );
  const session = new Session();
  t.after(() => session.close());
  const publisher = await session.publisher({ api, address });
  const sets = Object.entries(ZMQ).flatMap(([name, value]) => ["--set", `zmq.${name}=${value}`]);
  const subscriber = start(["subscribe", "--publisher", address, "--topic", "D", ...sets]);
  await publisher.whenSubscribers(1);
  let firsts = 0;
  await until(subscriber.waitForCount(/"table":"first"/, 1), "a first event at the subscriber", {
    probe: () => {
      firsts += 1;
      return publisher.sendEvent({ table: "first", key: String(firsts), action: "set", value: firsts });
    },
  });
  return { publisher, subscriber };
}

/** A process's resident set and its peak so far, in bytes. */
async function memoryOf(pid) {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

describe("pubsub-run subscribe, stdout slower than the events", { skip: process.platform !== "linux" && "reads /proc" }, () => {
  it("stops reading while stdout is full: RSS stays flat, every loss is counted and announced with sync", async (t) => {
    const { publisher, subscriber } = await publisherAndSubscriber(t);
    subscriber.child.stdout.pause(); // the reader stops reading
    const before = await memoryOf(subscriber.child.pid);
    const filler = "x".repeat(1024);
    for (let i = 0; i < BURST; i += 1) await publisher.sendEvent({ table: "burst", key: String(i), action: "set", value: filler });
    assert.ok(publisher.queueOverflows > 0, "the publisher counted the held-back subscriber's overflows");
    const afterBurst = await memoryOf(subscriber.child.pid);
    subscriber.child.stdout.resume();

    let probes = 0;
    await until(subscriber.waitForCount(/"table":"probe"/, 1), "a probe after the burst", {
      timeoutMs: 60_000,
      probe: () => {
        probes += 1;
        return publisher.sendEvent({ table: "probe", key: String(probes), action: "set", value: probes });
      },
    });
    await publisher.sendEvent({ table: "last", key: "0", action: "set", value: 0 });
    await subscriber.waitForCount(/"table":"last"/, 1);
    subscriber.kill("SIGTERM");
    assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });

    const stopped = subscriber.stderr.find((line) => line.includes("stopped;")) ?? "";
    const missed = Number(/missed (\d+)/.exec(stopped)?.[1]);
    const lines = subscriber.stdout.map((line) => JSON.parse(line));
    const burst = lines.filter((event) => event.table === "burst");
    assert.ok(burst.length < BURST, `${burst.length} of ${BURST} arrived: nothing was held back, the test proves nothing`);
    const after = lines.filter((event) => ["burst", "probe", "last"].includes(event.table)).length;
    assert.equal(after + missed, BURST + probes + 1, `received + missed = published (${stopped})`);
    const gapAt = burst.findIndex((event, i) => Number(event.key) !== i);
    const afterGap = gapAt === -1 ? lines.findIndex((event) => event.table === "probe") : lines.indexOf(burst[gapAt]);
    const firstSync = lines.findIndex((event) => event.action === "sync");
    assert.ok(firstSync !== -1 && firstSync < afterGap, `a sync line (${firstSync}) before the first line after the gap (${afterGap})`);
    const growth = afterBurst.peak - before.peak;
    t.diagnostic(`${burst.length} of ${BURST} written, ${missed} missed, peak RSS +${(growth / 2 ** 20).toFixed(1)} MB`);
    assert.ok(growth < RSS_GROWTH_LIMIT, `peak RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB over the burst`);
  });

  it("exits 1 with one line when the reader goes away (EPIPE)", async (t) => {
    const { publisher, subscriber } = await publisherAndSubscriber(t);
    subscriber.child.stdout.destroy(); // the reader exits
    let sent = 0;
    const { code } = await until(subscriber.exited, "the subscriber to stop once stdout is gone", {
      probe: () => {
        sent += 1;
        return publisher.sendEvent({ table: "after", key: String(sent), action: "set", value: sent });
      },
    });
    assert.equal(code, 1);
    const line = subscriber.stderr.find((l) => l.includes("stdout failed"));
    assert.match(line ?? "", /^pubsub-run subscribe: stdout failed \(EPIPE\) after \d+ lines: the reader went away; stopped$/);
    assert.ok(!subscriber.stderr.some((l) => /^\s+at /.test(l)), `no stack trace:\n${subscriber.stderr.join("\n")}`);
  });
});
