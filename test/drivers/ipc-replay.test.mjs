// The acknowledged IPC hop (issue 14, section 2), with real processes: a worker
// (pubsub-run publish) keeps what the publisher service has not confirmed and sends it
// again to the next service; the service drops what it already took. A service killed
// (kill -9) or stopped (SIGTERM) mid-burst and replaced: every event arrives once, in
// order, and publish exits 0. A service that does not come back: publish exits 1 and
// counts what was never confirmed. A plain PUSH worker (Dragonflow's) is still relayed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeEvent, encodeTopic } from "../../dist/wire.js";
import { processStarter } from "../helpers/process.mjs";
import { eventLines, rawPush, topologyFlags } from "../helpers/zmq.mjs";

const start = processStarter();

/**
 * How long publish waits for a service to take or confirm its events: long enough for
 * a busy machine to start the next service (or the test fails, as it should if the
 * service never came), short where no service comes.
 */
const LINGER_MS = 5000;
const NO_SERVICE_LINGER_MS = 1000;
const sets = (lingerMs = LINGER_MS) => topologyFlags(lingerMs);
const lines = eventLines;

/** A service that takes nothing before its subscriber is there, so the subscriber misses nothing it relays. */
async function service(flags) {
  const started = start(["service", "--json", "--wait-subscribers", "1", ...flags]);
  await started.waitFor(/"msg":"ready/);
  return started;
}

async function subscriber(flags, port) {
  const sub = start(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, ...flags]);
  await sub.waitFor(/connected to tcp:\/\/127\.0\.0\.1/);
  return sub;
}

function keysOf(received) {
  return received.map((line) => Number(JSON.parse(line).key));
}

/** Starts the first service, a subscriber and publish, and waits until `seen` events went through. */
async function midBurst(total, seen, lingerMs = LINGER_MS) {
  const { port, flags } = await sets(lingerMs);
  const subscribing = subscriber(flags, port);
  const first = await service(flags);
  const sub = await subscribing;
  const publish = start(["publish", "--stdin", ...flags]);
  publish.write(lines(0, total), true);
  await sub.waitForCount(/"action":"set"/, seen);
  return { port, flags, first, sub, publish };
}

describe("the IPC hop: acknowledged, replayed to a new service", () => {
  for (const [signal, how] of [
    ["SIGKILL", "killed (kill -9)"],
    ["SIGTERM", "stopped (SIGTERM)"],
  ]) {
    it(`service ${how} mid-burst, then a new one: every event once, in order; publish exits 0`, async () => {
      const total = 30_000;
      const { flags, first, sub, publish } = await midBurst(total, 2_000);
      first.kill(signal);
      const exited = await first.exit();
      assert.deepEqual(exited, signal === "SIGKILL" ? { code: null, signal } : { code: 0, signal: null });
      const second = await service(flags);
      assert.deepEqual(await publish.exit(), { code: 0, signal: null }, publish.stderr.join("\n"));
      const received = await sub.waitForCount(/"action":"set"/, total);
      assert.deepEqual(keysOf(received), [...Array(total).keys()]);
      second.kill("SIGTERM");
      assert.deepEqual(await second.exit(), { code: 0, signal: null });
    });
  }

  it("service killed and not restarted: publish exits 1, counting what the service never confirmed", async () => {
    const total = 30_000;
    const { first, sub, publish } = await midBurst(total, 2_000, NO_SERVICE_LINGER_MS);
    first.kill("SIGKILL");
    await first.exit();
    assert.deepEqual(await publish.exit(), { code: 1, signal: null });
    const report = publish.stderr.find((line) => line.startsWith("pubsub-run publish:"));
    assert.ok(report !== undefined, publish.stderr.join("\n"));
    const notSent = /: (\d+) of (\d+) events read from stdin not sent/.exec(report);
    const lost = /(\d+) (?:of \d+ events read from stdin|more) were taken by the transport and then lost/.exec(report);
    assert.ok(lost, report);
    const read = Number(notSent?.[2] ?? /of (\d+) events read/.exec(report)?.[1]);
    const unconfirmed = Number(notSent?.[1] ?? 0) + Number(lost[1]);
    assert.ok(unconfirmed > 0 && read <= total, report);
    // Everything confirmed arrived (the subscriber may still be reading it), in order: nothing lost without a word.
    const confirmed = read - unconfirmed;
    await sub.waitForCount(/"action":"set"/, confirmed);
    const received = keysOf(sub.stdout.filter((line) => line.includes('"action":"set"')));
    assert.deepEqual(received, [...Array(received.length).keys()]);
    assert.ok(received.length <= read, `${received.length} received, ${read} read: ${report}`);
  });

  it("a topic the worker forgot (past 65,536 topics) and used again is relayed by a service that knew it", async () => {
    const { port, flags } = await sets();
    const line = (key, topic) => `${JSON.stringify({ table: "t", key, action: "set", value: null, topic })}\n`;
    const others = (from, to) => Array.from({ length: to - from }, (_, i) => line("x", `other-${from + i}`)).join("");
    const subscribing = subscriber(["--topic", "a", ...flags], port);
    const first = await service(flags);
    const sub = await subscribing;
    const publish = start(["publish", "--stdin", ...flags]);
    publish.write(line("a1", "a") + others(0, 10));
    await sub.waitForCount(/"key":"a1"/, 1);
    // A new service: it learns topic "a" after ten others, so it holds "a" longer than the worker does.
    first.kill("SIGTERM");
    await first.exit();
    const second = await service(flags);
    publish.write(line("a2", "a"));
    await sub.waitForCount(/"key":"a2"/, 1);
    // 65,526 more topics: the worker, which keeps 65,536, forgets "a"; the service still holds it.
    publish.write(others(10, 65_536) + line("a3", "a"), true);
    assert.deepEqual(await publish.exit(), { code: 0, signal: null }, publish.stderr.join("\n"));
    const received = await sub.waitForCount(/"topic":"a"/, 3);
    assert.deepEqual(
      received.map((text) => JSON.parse(text).key),
      ["a1", "a2", "a3"],
    );
    second.kill("SIGTERM");
    assert.deepEqual(await second.exit(), { code: 0, signal: null });
  });

  it("a plain PUSH worker (Dragonflow's, no stamp, no acknowledgement) is still relayed", async () => {
    const { port, socket, flags } = await sets();
    const subscribing = subscriber(flags, port);
    const relay = await service(flags);
    const sub = await subscribing;
    const worker = await rawPush(`ipc://${socket}`);
    try {
      for (let i = 0; i < 3; i += 1)
        await worker.send([encodeTopic("D"), encodeEvent({ table: "df", key: String(i), action: "set", value: i }, "D")]);
      const received = await sub.waitForCount(/"table":"df"/, 3);
      assert.deepEqual(keysOf(received), [0, 1, 2]);
    } finally {
      await worker.close();
    }
    relay.kill("SIGTERM");
    assert.deepEqual(await relay.exit(), { code: 0, signal: null });
  });
});
