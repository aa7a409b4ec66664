// 12. costs: what each option costs on the `direct` topology, a row each, the figure
// with the option beside the same run without it (in the raw column) and their ratio:
// - sequence numbers: every event of ours carries its publisher's id and a sequence
//   number, and no option turns them off; so the rows are the raw zeromq.js loop
//   sending the payload ours sends (the stamped map) beside the same loop sending the
//   bare map, and ours (`sendEvent`) beside ours sending the bare map through
//   `sendFrames`, at --size and at 256-byte values (both sizes past zeromq.js's 128-byte
//   copy threshold there, stamped or not);
// - zmq.curve: ours with CurveZMQ on, beside ours with it off;
// - metrics: our subscriber with createMetricsRegistry scraped every second, beside it
//   without; with prom-client's process metrics and without them.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zmq from "zeromq";
import { rotate, row } from "../lib/compare.mjs";
import { deliveredRate, runOnce } from "../lib/topology.mjs";

export const name = "costs";
/** A value size past zeromq.js's 128-byte copy threshold with or without the stamp. */
const LARGE_VALUE = 256;
export const title = "costs: sequence numbers, zmq.curve, metrics, each beside the same run without";

/** A publisher key pair and a subscriber key pair in `dir`, and the curve sections using them. */
async function curveSections(dir) {
  const publisher = zmq.curveKeyPair();
  const subscriber = zmq.curveKeyPair();
  const file = async (name, text) => {
    const path = join(dir, name);
    await writeFile(path, `${text}\n`, { mode: 0o600 });
    return path;
  };
  return {
    publisher: { enabled: true, publisher_secret_key_file: await file("publisher.key_secret", publisher.secretKey) },
    subscriber: {
      enabled: true,
      publisher_public_key: publisher.publicKey,
      subscriber_public_key_file: await file("subscriber.key", subscriber.publicKey),
      subscriber_secret_key_file: await file("subscriber.key_secret", subscriber.secretKey),
    },
  };
}

export async function run({ count, size, rounds, progress }) {
  const dir = await mkdtemp(join(tmpdir(), "pubsub-costs-"));
  try {
    const curve = await curveSections(dir);
    const raw = (stamped) => () =>
      runOnce({
        publisher: { impl: "raw", count, size, highWaterMark: 1e6, stamped },
        subscriber: { impl: "raw", expect: count, highWaterMark: 1e6 },
      }).then(deliveredRate);
    const ours =
      ({ publisher = {}, subscriber = {} } = {}) =>
      () =>
        runOnce({
          publisher: { impl: "ours", count, size, ...publisher },
          subscriber: { impl: "ours", expect: count, ...subscriber },
        }).then(deliveredRate);
    const { medians } = await rotate(
      rounds,
      {
        raw: raw(false),
        "raw, stamped": raw(true),
        ours: ours(),
        "ours, unstamped": ours({ publisher: { unstamped: true } }),
        "ours, 256": ours({ publisher: { size: LARGE_VALUE } }),
        "ours, unstamped, 256": ours({ publisher: { unstamped: true, size: LARGE_VALUE } }),
        "ours, curve": ours({
          publisher: { overrides: { zmq: { curve: curve.publisher } } },
          subscriber: { overrides: { zmq: { curve: curve.subscriber } } },
        }),
        "ours, metrics": ours({ subscriber: { metrics: true } }),
        "ours, counters": ours({ subscriber: { metrics: "counters" } }),
      },
      progress,
    );
    return [
      row(
        name,
        "sequence numbers: raw loop sending our stamped map, vs the bare map (no switch turns them off)",
        "events/s",
        medians["raw, stamped"],
        medians.raw,
      ),
      row(
        name,
        "sequence numbers: ours (sendEvent), vs ours sending the bare map (sendFrames)",
        "events/s",
        medians.ours,
        medians["ours, unstamped"],
      ),
      row(
        name,
        `sequence numbers: ours at ${LARGE_VALUE}-byte values (sendEvent), vs ours sending the bare map`,
        "events/s",
        medians["ours, 256"],
        medians["ours, unstamped, 256"],
      ),
      row(name, "zmq.curve on, vs off", "events/s", medians["ours, curve"], medians.ours),
      row(
        name,
        "metrics: subscriber with createMetricsRegistry scraped every second, vs none",
        "events/s",
        medians["ours, metrics"],
        medians.ours,
      ),
      row(
        name,
        "metrics: the same without process metrics (processMetrics: false), vs none",
        "events/s",
        medians["ours, counters"],
        medians.ours,
      ),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
