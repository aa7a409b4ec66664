// The worker's replay window remembers the sequence the service confirmed per topic;
// a worker that publishes on ever new topics must not grow that for ever.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeStampedEvent, ReplayWindow, Stamper } from "../../dist/internal.js";
import { encodeTopic } from "../../dist/wire.js";

const stamper = new Stamper("0123456789abcdef");
const event = { table: "t", key: null, action: "set", value: null };

/** Sends one event on each of `count` new topics into `window`, each confirmed, then settles. */
function sendConfirmed(window, count) {
  for (let i = 0; i < count; i += 1) {
    const topic = `topic-${i}`;
    window.add(encodeTopic(topic), topic, encodeStampedEvent(event, topic, stamper, 1));
    window.confirm(topic, 1);
  }
  window.settle();
}

describe("the replay window", () => {
  it("forgets the confirmed sequences of more than 65,536 topics once nothing waits", () => {
    const window = new ReplayWindow(1_000_000);
    sendConfirmed(window, 70_000);
    assert.equal(window.events, 0);
    assert.equal(window.rememberedTopics, 0);
  });

  it("keeps them below that, and while messages wait", () => {
    const few = new ReplayWindow(1_000_000);
    sendConfirmed(few, 1_000);
    assert.equal(few.rememberedTopics, 1_000);

    const waiting = new ReplayWindow(1_000_000);
    waiting.add(encodeTopic("slow"), "slow", encodeStampedEvent(event, "slow", stamper, 1));
    sendConfirmed(waiting, 70_000);
    assert.equal(waiting.events, 70_001, "the unconfirmed first event holds the rest (the window drops from its head)");
    assert.equal(waiting.rememberedTopics, 70_000);
  });
});
