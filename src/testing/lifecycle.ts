// Lifecycle scenarios: close, a subscriber started too early, failing callbacks, garbage
// on the wire, peer restarts. Each is listed, with the feature it needs, in the table of
// scenarios.ts.
import assert from "node:assert/strict";
import { pack } from "msgpackr";
import { hasStats, type PublisherApi, type PubSubEvent } from "../contract.js";
import { encodeEvent, encodeTopic } from "../agents/codec.js";
import { assertNumbered, sendNumbered } from "./delivery.js";
import { waitForFlow } from "./flow.js";
import type { ConformanceEndpoint, ConformanceHarness } from "./harness.js";
import type { Session } from "./session.js";

/** `close()` resolves only once every event it accepted before was sent. */
export async function closeFlushes(session: Session): Promise<void> {
  const { publisher, got } = await session.pair();
  const accepted = [];
  for (let i = 0; i < 5_000; i += 1) accepted.push(publisher.sendEvent({ table: "flush", key: String(i), action: "set", value: i }));
  await publisher.close();
  await Promise.all(accepted);
  await got.until(() => got.count("flush") === 5_000, "5000 events sent before close()");
  assertNumbered(got, "flush", 5_000);
}

/** `close()` twice is safe on both sides; a closed publisher refuses events with a coded error. */
export async function closeTwice(session: Session): Promise<void> {
  const { publisher, subscriber } = await session.pair();
  await publisher.close();
  await publisher.close();
  await assert.rejects(publisher.sendEvent({ table: "late", key: "1", action: "set", value: null }), (err: unknown) => {
    assert.ok(err instanceof Error && typeof (err as { code?: unknown }).code === "string", String(err));
    return true;
  });
  await subscriber.close();
  await subscriber.close();
  assert.equal(subscriber.isRunning, false);
}

/** `daemonize()` before `initialize()` is refused. */
export async function startBeforeInitialize(session: Session): Promise<void> {
  const endpoint = await session.endpoint();
  const subscriber = endpoint.api.getSubscriber();
  session.track(subscriber);
  await assert.rejects(subscriber.daemonize(), /initialize/);
  assert.equal(subscriber.isRunning, false);
}

/** A callback that throws, then one that rejects: the next events are delivered, the failures counted. */
export async function failingCallback(session: Session): Promise<void> {
  const { publisher, subscriber, got } = await session.pair();
  let calls = 0;
  subscriber.initialize((table, key, action, value, topic) => {
    void got.callback(table, key, action, value, topic);
    if (table !== "fail") return;
    calls += 1;
    if (calls === 1) throw new Error("callback failure (expected by the test)");
    if (calls === 2) return Promise.reject(new Error("callback rejection (expected by the test)"));
  });
  await sendNumbered(publisher, "fail", 3);
  await got.until(() => got.count("fail") === 3, "3 events despite the failing callback");
  if (hasStats(subscriber)) assert.equal(subscriber.stats.callbackErrors, 2);
}

/** Messages that are not events are dropped (and counted); the subscriber keeps receiving. */
export async function garbage(session: Session, harness: ConformanceHarness): Promise<void> {
  const endpoint = await session.endpoint();
  const { subscriber, got } = await session.subscriber(endpoint);
  const raw = await harness.rawSender?.(endpoint);
  assert.ok(raw !== undefined, "features.garbage is true but the harness has no rawSender");
  session.track(raw);
  const topic = encodeTopic("D");
  const sendRaw = (event: PubSubEvent) => raw.send([topic, encodeEvent(event, "D")]);
  await waitForFlow({ sendEvent: (event) => sendRaw(event) }, [got]);
  const messages: Uint8Array[][] = [
    [topic, Buffer.from("not messagepack \xc1")],
    [topic, pack([1, 2, 3])],
    [topic, pack({ table: "t", key: "k" })],
    [topic, pack({ table: 7, key: "k", action: "set" })],
    [topic],
    [topic, encodeEvent({ table: "t", key: "k", action: "set", value: 1 }, "D"), Buffer.from("extra")],
    [Buffer.from([0xff, 0xfe]), encodeEvent({ table: "t", key: "k", action: "set", value: 1 }, "D")],
  ];
  const before = hasStats(subscriber) ? subscriber.stats.undecodable : 0;
  for (const frames of messages) await raw.send(frames);
  await sendRaw({ table: "good", key: "after-garbage", action: "set", value: { ok: true } });
  await got.until(() => got.count("good") === 1, "a good event after the garbage");
  assert.deepEqual(got.of("good")[0], { table: "good", key: "after-garbage", action: "set", value: { ok: true }, topic: "D" });
  if (hasStats(subscriber)) {
    assert.ok(subscriber.stats.undecodable - before >= messages.length - 1, `undecodable: ${subscriber.stats.undecodable}`);
  }
  assert.equal(subscriber.isRunning, true);
  assert.equal(got.of().filter((event) => event.table !== "good").length, 0, "garbage reached the callback");
}

/** The peer restarts (`harness.restartPeer`): the callback gets `"sync"`, then events flow again. */
export async function peerRestart(session: Session, harness: ConformanceHarness): Promise<void> {
  const { endpoint, publisher, got } = await session.pair();
  await sendNumbered(publisher, "before", 100);
  await got.until(() => got.count("before") === 100, "100 events before the restart");
  const next =
    harness.restartPeer === undefined ? await defaultRestart(endpoint, publisher) : await harness.restartPeer(endpoint, publisher);
  session.track(next);
  await got.until(() => got.syncs >= 1, "a sync notice after the restart");
  const sync = got.events.find((event) => event.action === "sync");
  assert.deepEqual(sync, { table: null, key: null, action: "sync", value: null, topic: null });
  await waitForFlow(next, [got]);
  await sendNumbered(next, "after", 100);
  await got.until(() => got.count("after") === 100, "100 events after the restart");
  assertNumbered(got, "after", 100);
}

/** The peer of a subscriber that connects to its publisher: close the publisher, start a new one. */
async function defaultRestart(endpoint: ConformanceEndpoint, publisher: PublisherApi): Promise<PublisherApi> {
  await publisher.close();
  const next = endpoint.api.getPublisher();
  await next.initialize();
  return next;
}
