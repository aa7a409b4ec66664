// The worker's replay window remembers the sequence the service confirmed per topic;
// a worker that publishes on ever new topics must not grow that for ever.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeStampedEvent, ReplayWindow, Stamper } from "../../dist/internal.js";
import { encodeTopic } from "../../dist/wire.js";

const stamper = new Stamper("0123456789abcdef");
const event = { table: "t", key: null, action: "set", value: null };

/** Sends one event on each of the topics `from` to `to - 1` into `window`, each confirmed, then settles. */
function sendConfirmed(window, from, to) {
  for (let i = from; i < to; i += 1) {
    const topic = `topic-${i}`;
    window.add(encodeTopic(topic), topic, encodeStampedEvent(event, topic, stamper, 1));
    window.confirm(topic, 1);
  }
  window.settle();
}

describe("the replay window", () => {
  it("forgets the confirmed sequences of more than 65,536 topics once nothing waits", () => {
    const window = new ReplayWindow(1_000_000);
    sendConfirmed(window, 0, 70_000);
    assert.equal(window.events, 0);
    assert.equal(window.rememberedTopics, 0);
  });

  it("keeps them below that", () => {
    const few = new ReplayWindow(1_000_000);
    sendConfirmed(few, 0, 1_000);
    assert.equal(few.rememberedTopics, 1_000);
  });

  it("never drained, it forgets the topics with nothing waiting and keeps those that wait", () => {
    const window = new ReplayWindow(1_000_000);
    const slow = (topic) => window.add(encodeTopic(topic), topic, encodeStampedEvent(event, topic, stamper, 1));
    slow("slow-1");
    sendConfirmed(window, 0, 70_000);
    assert.equal(window.events, 70_001, "the unconfirmed first event holds the rest (the window drops from its head)");
    assert.equal(window.rememberedTopics, 70_000, "all of them wait behind it");
    slow("slow-2");
    window.confirm("slow-1", 1);
    sendConfirmed(window, 70_000, 140_000);
    assert.equal(window.events, 70_001, "slow-2 and the 70,000 behind it still wait");
    assert.equal(window.rememberedTopics, 70_000, "the 70,001 settled topics are forgotten, the 70,000 that wait kept");
  });
});
