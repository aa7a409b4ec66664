// A subscriber's record of each publisher's sequence per topic is bounded: a subscriber
// that takes every topic (one reading the multiproc socket) meets ever new ones.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DUPLICATE, SequenceTracker } from "../../dist/internal.js";

const ID = "0123456789abcdef";

describe("SequenceTracker", () => {
  it("follows at most 65,536 topics of a publisher, forgetting the longest-known; a forgotten topic's next event is its first", () => {
    const tracker = new SequenceTracker({ forgetAfterMs: 600_000, maxPublishers: 10 });
    assert.equal(tracker.take(ID, "first", 1), 0);
    for (let i = 0; i < 70_000; i += 1) assert.equal(tracker.take(ID, `topic-${i}`, 1), 0);
    assert.equal(tracker.topics, 65_536);
    // "first" was forgotten: its event 1 again is taken as its first, not a duplicate.
    assert.equal(tracker.take(ID, "first", 1), 0);
    // A topic still followed: the same event again is a duplicate.
    assert.equal(tracker.take(ID, "topic-69999", 1), DUPLICATE);
  });
});
