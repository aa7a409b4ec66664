// subflood: what one unauthenticated peer can make a network publisher hold. A raw
// zeromq.js XSUB connects to a publisher of ours (its own process, no curve) and sends
// distinct random subscriptions of 36 bytes; the publisher's RSS is sampled, after a
// GC, until it stops growing. Reported: the peak growth over the RSS before the flood.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import * as zmq from "zeromq";
import { freePort } from "../../dist/testing.js";
import { Child } from "../lib/child.mjs";
import { oursAtMost, row } from "../lib/compare.mjs";
import { median } from "../lib/stats.mjs";

export const name = "subflood";
export const title = "subflood: publisher RSS growth while one peer sends 200,000 distinct subscriptions (MB)";

const SUBSCRIPTIONS = Number(process.env.PUBSUB_BENCH_FLOOD ?? 200_000);
const TOPIC_BYTES = Number(process.env.PUBSUB_BENCH_FLOOD_BYTES ?? 36);
/** RSS is taken as settled once it has not grown by a megabyte for this long. */
const SETTLED_MS = 3_000;
const SAMPLE_MS = 250;

async function rss(target) {
  target.send({ type: "measure" });
  return target.next("rss");
}

/** One flood: the peak RSS growth in MB, and the publisher's warnings. */
export async function flood({ subscriptions = SUBSCRIPTIONS, topicBytes = TOPIC_BYTES, overrides = {}, progress = () => undefined } = {}) {
  const port = await freePort();
  const target = new Child("flood-target", { port, overrides }, { execArgv: ["--expose-gc"] });
  const peer = new zmq.XSubscriber({ linger: 0 });
  // libzmq drops a subscription past the send high-water mark: a flooding peer keeps them all.
  peer.sendHighWaterMark = 0;
  try {
    await target.next("ready");
    await sleep(500);
    const first = await rss(target);
    const before = first.rss;
    let peak = before;
    peer.connect(`tcp://127.0.0.1:${port}`);
    let sent = 0;
    const sending = (async () => {
      for (; sent < subscriptions; sent += 1) {
        const topic = randomBytes(Math.ceil(topicBytes / 2))
          .toString("hex")
          .slice(0, topicBytes);
        await peer.send(Buffer.concat([Buffer.of(1), Buffer.from(topic)]));
      }
    })();
    let done = false;
    void sending.then(() => (done = true));
    let grewAt = Date.now();
    let last;
    for (;;) {
      await sleep(SAMPLE_MS);
      last = await rss(target);
      if (last.rss > peak + 1e6) grewAt = Date.now();
      peak = Math.max(peak, last.rss);
      progress(`${sent.toLocaleString("en-US")} sent, RSS +${Math.round((last.rss - before) / 1e6)} MB`);
      if (done && Date.now() - grewAt > SETTLED_MS) break;
    }
    await sending;
    return {
      before: Math.round(before / 1e6),
      growth: (peak - before) / 1e6,
      settled: (last.rss - before) / 1e6,
      heap: (last.heapTotal - first.heapTotal) / 1e6,
      resets: last.resets,
      warnings: last.warnings,
    };
  } finally {
    peer.close();
    await target.stop();
  }
}

export async function run({ rounds, progress }) {
  const results = [];
  const times = Math.max(1, Math.min(rounds, 3));
  for (let round = 0; round < times; round += 1) {
    results.push(await flood({ progress: (text) => progress(`round ${round + 1}/${times}: ${text}`) }));
  }
  const logged = results.every((result) => result.warnings.length > 0);
  return [
    row(
      name,
      `RSS after ${SUBSCRIPTIONS.toLocaleString("en-US")} subscriptions of ${TOPIC_BYTES} bytes from one peer`,
      "MB",
      median(results.map((r) => r.growth)),
      null,
      {
        higherIsBetter: false,
        target: oursAtMost(100, "MB"),
        note: logged ? "logged" : "not logged",
      },
    ),
  ];
}

// Run on its own: node bench/scenarios/subflood.mjs [overrides as JSON]
if (import.meta.url === `file://${process.argv[1]}`) {
  const overrides = JSON.parse(process.argv[2] ?? "{}");
  const result = await flood({ overrides, progress: (text) => process.stderr.write(`\r\x1b[K${text}`) });
  process.stderr.write("\n");
  console.log(JSON.stringify({ ...result, warnings: result.warnings.slice(0, 5), warningCount: result.warnings.length }));
}
