// Sets up one measured run: subscriber processes, an optional publisher service, a
// publisher process; waits until probes reach every subscriber, then runs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../dist/testing.js";
import { Child, stopAll } from "./child.mjs";

/** The embedded default config: every run starts from it, as a user would. */
export const CONFIG_PATH = fileURLToPath(new URL("../../pubsub.config.yaml", import.meta.url));

/**
 * Runs one publisher against `subscribers` subscriber processes and returns what they
 * reported. `publisher` and `subscriber` are role options; `relayed` puts the publisher
 * service between them (the publisher then uses the multiproc driver), or for a raw
 * publisher a raw relay (the publisher then pushes to it). `finish` is
 * "done" (each subscriber got `count` events) or "end" (end markers after the sends:
 * for runs that may lose events).
 */
export async function runOnce({
  publisher,
  subscriber,
  subscribers = 1,
  relayed = false,
  finish = "done",
  subscriberExecArgv = [],
  between,
  broker,
}) {
  const port = await freePort();
  // A broker run: `broker` is { url, overrides } (the driver and its section); both
  // sides reach the broker at `url`, and nothing binds.
  const address = broker?.url ?? `tcp://127.0.0.1:${port}`;
  const dir = relayed ? await mkdtemp(join(tmpdir(), "pubsub-bench-")) : undefined;
  const network = broker?.overrides ?? { publisher_port: port, publisher_bind_address: "127.0.0.1", publisher_transport: "tcp" };
  const children = [];
  try {
    const subs = [];
    for (let i = 0; i < subscribers; i += 1) {
      const child = new Child(
        "subscriber",
        { configPath: CONFIG_PATH, ...subscriber, addresses: [address], overrides: { ...network, ...subscriber.overrides } },
        { execArgv: subscriberExecArgv },
      );
      children.push(child);
      subs.push(child);
    }
    if (relayed) {
      const socket = join(dir, "publisher.sock");
      // A raw publisher runs beside a raw relay (PUSH -> PULL, XPUB), ours beside ours.
      const raw = publisher.impl === "raw";
      const service = new Child("service", {
        impl: raw ? "raw" : "ours",
        configPath: CONFIG_PATH,
        socket,
        bind: address,
        highWaterMark: publisher.highWaterMark,
        overrides: { ...network, publisher_multiproc_socket: socket, ...publisher.serviceOverrides },
      });
      children.push(service);
      await service.next("ready");
      publisher = raw
        ? { ...publisher, connect: `ipc://${socket}` }
        : { ...publisher, overrides: { ...publisher.overrides, publisher_multiproc_socket: socket, pub_sub_use_multiproc: true } };
    } else {
      publisher = { ...publisher, bind: address, overrides: { ...network, pub_sub_use_multiproc: false, ...publisher.overrides } };
    }
    const pub = new Child("publisher", { configPath: CONFIG_PATH, ...publisher });
    children.push(pub);
    await Promise.all([pub, ...subs].map((child) => child.next("ready")));
    pub.send({ type: "probe" });
    await Promise.all(subs.map((child) => child.next("probed")));
    const before = between === undefined ? undefined : await between(subs, "before");
    pub.send({ type: "go" });
    const sent = await pub.next("sent");
    if (finish === "end") pub.send({ type: "ends" });
    const results = await Promise.all(subs.map((child) => child.next(finish)));
    const after = between === undefined ? undefined : await between(subs, "after");
    return { sent, results, before, after };
  } finally {
    await stopAll(children.reverse());
    if (process.env.PUBSUB_BENCH_CPU) {
      // Per event: the CPU spent after "ready" (probes included, start-up not) over the events sent.
      for (const child of children) {
        const perEvent =
          child.cpu?.run === undefined ? "" : `, ${(child.cpu.run / (publisher.count ?? 1)).toFixed(2)} µs per event after start-up`;
        process.stderr.write(
          `cpu ${child.role}/${child.impl}: ${((child.cpu?.user ?? 0) / 1e6).toFixed(2)}s user ${((child.cpu?.system ?? 0) / 1e6).toFixed(2)}s system${perEvent}\n`,
        );
      }
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** Events per second delivered to all subscribers together, from the first send to the last receipt. */
export function deliveredRate({ sent, results }) {
  const received = results.reduce((sum, result) => sum + result.count, 0);
  const last = Math.max(...results.map((result) => result.last));
  return received / ((last - sent.t0) / 1e9);
}
