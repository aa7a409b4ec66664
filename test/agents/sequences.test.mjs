// Sequence numbers: every publisher stamps its events with its id and a sequence per
// topic; a subscriber that finds a gap, a restart or a duplicate says so ("sync",
// counted), and never mistakes the first event it sees, or another topic's, for a gap.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import * as zmq from "zeromq";
import { Session, freePort, until, waitForFlow } from "../../dist/testing.js";
import { decodeEvent, encodeEvent, encodeTopic } from "../../dist/wire.js";
import { configFor, quietContext, rawPublisher, networkOnFreePort } from "../helpers/zmq.mjs";

const ID = "0123456789abcdef";
const topicD = encodeTopic("D");

/** A raw PUB socket sending stamped frames to one of our network subscribers, both closed after the test. */
async function rawToSubscriber(t, topics = []) {
  const port = await freePort();
  const address = `tcp://127.0.0.1:${port}`;
  const raw = await rawPublisher(address);
  const api = createZmqNetworkDriver(await configFor({ publisher_port: port }), quietContext("network"));
  const session = new Session();
  t.after(async () => {
    await session.close();
    await raw.close();
  });
  const { subscriber, got } = await session.subscriber({ api, address }, [address], topics);
  const send = (sequence, key = String(sequence), { id = ID, topic = "D" } = {}) =>
    raw.send([encodeTopic(topic), encodeEvent({ table: "t", key, action: "set", value: sequence }, topic, { publisherId: id, sequence })]);
  // Unstamped probes (a Dragonflow publisher's kind) until the subscription is in place.
  await waitForFlow({ sendEvent: (event) => raw.send([topicD, encodeEvent(event, "D")]) }, [got]);
  return { subscriber, got, send, raw };
}

/** One of our network publishers and a subscriber of topic "a" only, events flowing; closed after test `t`. */
async function subscriberOfA(t) {
  const { address, api, session } = await networkOnFreePort(t);
  const { subscriber, got } = await session.subscriber({ api, address }, [address], ["a"]);
  subscriber.unregisterTopic("D");
  const publisher = await session.publisher({ api, address });
  await waitForFlow(publisher, [got], "a");
  return { subscriber, got, publisher };
}

/** What the callback got after the probes: keys of events, "sync" for notices. */
function seen(got) {
  return got.events
    .filter((event) => event.table === "t" || event.action === "sync")
    .map((event) => (event.action === "sync" ? "sync" : event.key));
}

describe("sequence numbers", () => {
  it("our publishers stamp each event: one id per agent, a sequence per topic from 1", async (t) => {
    const port = await freePort();
    const api = createZmqNetworkDriver(
      await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" }),
      quietContext("network"),
    );
    const raw = new zmq.Subscriber();
    raw.subscribe("a");
    raw.subscribe("b");
    raw.subscribe("D");
    raw.connect(`tcp://127.0.0.1:${port}`);
    const session = new Session();
    t.after(async () => {
      raw.close();
      await session.close();
    });
    const publisher = await session.publisher({ api, address: "" });
    const other = api.getPublisher();
    assert.match(publisher.publisherId, /^[0-9a-f]{16}$/);
    assert.notEqual(other.publisherId, publisher.publisherId);
    // Probes on D until the raw subscriber reads one: its subscriptions are in place.
    await until(raw.receive(), "a first message at the raw subscriber", {
      probe: () => publisher.sendEvent({ table: "probe", key: null, action: "probe", value: null }, "D"),
    });
    for (const topic of ["a", "b", "a", "a", "b"]) await publisher.sendEvent({ table: "s", key: topic, action: "set", value: null }, topic);
    const stamps = [];
    while (stamps.length < 5) {
      const [topic, payload] = await raw.receive();
      const event = decodeEvent(payload);
      if (event.table === "s") stamps.push([topic.toString(), event.publisherId, event.sequence]);
    }
    const id = publisher.publisherId;
    assert.deepEqual(stamps, [
      ["a", id, 1],
      ["b", id, 1],
      ["a", id, 2],
      ["a", id, 3],
      ["b", id, 2],
    ]);
  });

  it("a gap gives one sync before the event, counted in gaps and missed; the first event seen is never a gap", async (t) => {
    const { subscriber, got, send } = await rawToSubscriber(t);
    for (const sequence of [500, 501, 505]) await send(sequence);
    await got.until(() => got.count("t") === 3, "3 stamped events");
    assert.deepEqual(seen(got), ["500", "501", "sync", "505"]);
    assert.equal(subscriber.stats.gaps, 1);
    assert.equal(subscriber.stats.missed, 3);
    assert.equal(subscriber.stats.syncs, 1);
  });

  it("a duplicate is dropped and counted; a restart (the sequence back to 1) is a gap", async (t) => {
    const { subscriber, got, send } = await rawToSubscriber(t);
    for (const sequence of [1, 2, 2, 3, 1]) await send(sequence, `${sequence}-${got.events.length}`);
    await send(2, "after-restart");
    await got.until(() => got.of("t").some((event) => event.key === "after-restart"), "the event after the restart");
    assert.deepEqual(
      got.of("t").map((event) => event.value),
      [1, 2, 3, 1, 2],
    );
    assert.equal(subscriber.stats.duplicates, 1);
    assert.equal(subscriber.stats.gaps, 1, "the restart");
    assert.equal(subscriber.stats.missed, 0, "a restart adds no known count");
    assert.equal(got.syncs, 1);
  });

  it("gaps found within a second of a sync share one more, when that second is over: two syncs for many streams", async (t) => {
    const { subscriber, got, send } = await rawToSubscriber(t, ["x"]);
    for (const [id, topic] of [
      ["aaaaaaaaaaaaaaaa", "D"],
      ["bbbbbbbbbbbbbbbb", "D"],
      ["aaaaaaaaaaaaaaaa", "x"],
    ]) {
      await send(1, `${id}-${topic}-1`, { id, topic });
      await send(10, `${id}-${topic}-10`, { id, topic });
    }
    await got.until(() => got.count("t") === 6, "6 stamped events");
    assert.equal(subscriber.stats.gaps, 3);
    assert.equal(subscriber.stats.missed, 24);
    assert.equal(got.syncs, 1, "one at the first gap");
    // An event missed after the application's first resync would go unnoticed without it.
    await got.until(() => got.syncs === 2, "the sync for the gaps found within the second");
    assert.equal(got.events.at(-1).action, "sync", "after the events whose gaps it stands for");
    assert.equal(subscriber.stats.syncs, 2);
  });

  it("streams are followed per (publisher, topic): a subscriber of some topics sees no false gap", async (t) => {
    const { subscriber, got, publisher } = await subscriberOfA(t);
    for (let i = 0; i < 300; i += 1)
      await publisher.sendEvent({ table: "t", key: String(i), action: "set", value: i }, i % 3 === 0 ? "a" : "b");
    await got.until(() => got.count("t") === 100, "the 100 events on a");
    assert.equal(subscriber.stats.gaps, 0);
    assert.equal(got.syncs, 0);
  });

  it("past 65,536 topics the oldest is forgotten, and when it comes back its sequence goes on: never taken for a duplicate", async (t) => {
    const { subscriber, got, publisher } = await subscriberOfA(t);
    await publisher.sendEvent({ table: "t", key: "first", action: "set", value: null }, "a");
    // 65,536 more topics: the publisher keeps sequences for 65,536, so "a", the oldest, is forgotten.
    for (let i = 0; i < 65_536; i += 1) await publisher.sendEvent({ table: "other", key: null, action: "set", value: null }, `topic-${i}`);
    await publisher.sendEvent({ table: "t", key: "again", action: "set", value: null }, "a");
    await got.until(() => got.count("t") === 2, "both events on a (the second was dropped as a duplicate when a started again at 1)");
    assert.deepEqual(
      got.of("t").map((event) => event.key),
      ["first", "again"],
    );
    assert.equal(subscriber.stats.duplicates, 0);
    assert.equal(subscriber.stats.gaps, 0, "alone in its slot, a goes on exactly where it was");
    assert.equal(got.syncs, 0);
  });

  it("unstamped events (a Dragonflow publisher's) are delivered as they are, never a gap", async (t) => {
    const { subscriber, got, raw } = await rawToSubscriber(t);
    for (const key of ["a", "b", "c"]) await raw.send([topicD, encodeEvent({ table: "t", key, action: "set", value: null }, "D")]);
    await got.until(() => got.count("t") === 3, "3 unstamped events");
    assert.deepEqual(seen(got), ["a", "b", "c"]);
    assert.deepEqual([subscriber.stats.gaps, subscriber.stats.duplicates, got.syncs], [0, 0, 0]);
  });
});
