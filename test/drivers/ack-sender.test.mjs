// The publisher service's replay table: it drops an event a worker sends again by
// (publisher id, topic, sequence). Workers come and go, each with a new publisher id:
// what it remembers of them is bounded in all, the quietest worker forgotten first.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AckSender, encodeStampedEvent, Stamper } from "../../dist/internal.js";
import { encodeTopic } from "../../dist/wire.js";
import { recordingLogger } from "../helpers/fixtures.mjs";

const event = { table: "t", key: null, action: "set", value: null };
const workerId = (n) => n.toString(16).padStart(16, "0");

/** The frames worker `n` sends for its first event on `topic`. */
function firstEvent(n, topic) {
  return [encodeTopic(topic), encodeStampedEvent(event, topic, new Stamper(workerId(n)), 1)];
}

describe("the publisher service's replay table", () => {
  it("remembers at most 262,144 streams in all, forgetting the worker heard from least recently", () => {
    // Never opened: admit() only reads and writes the table.
    const acks = new AckSender("/nonexistent/publisher.sock.ack", {}, recordingLogger());
    for (let worker = 0; worker < 30; worker += 1) {
      const stamper = new Stamper(workerId(worker));
      for (let i = 0; i < 10_000; i += 1) {
        const topic = `topic-${i}`;
        assert.equal(acks.admit(encodeTopic(topic), encodeStampedEvent(event, topic, stamper, 1)), true);
      }
    }
    assert.ok(acks.streams <= 262_144, `${acks.streams} streams remembered`);
    assert.ok(acks.streams > 250_000, `${acks.streams} streams remembered: no more forgotten than needed`);
    // The last worker's streams are there: its event sent again is a duplicate.
    assert.equal(acks.admit(...firstEvent(29, "topic-9999")), false);
    assert.equal(acks.duplicates, 1);
    // The first worker, the quietest, was forgotten: its event sent again is taken (subscribers drop it by its sequence).
    assert.equal(acks.admit(...firstEvent(0, "topic-0")), true);
  });

  it("keeps a worker that is still heard from over quieter ones that came later", () => {
    const acks = new AckSender("/nonexistent/publisher.sock.ack", {}, recordingLogger());
    const busy = new Stamper(workerId(1));
    let sequence = 0;
    for (let worker = 2; worker < 30; worker += 1) {
      const stamper = new Stamper(workerId(worker));
      for (let i = 0; i < 10_000; i += 1) {
        const topic = `topic-${i}`;
        acks.admit(encodeTopic(topic), encodeStampedEvent(event, topic, stamper, 1));
      }
      // Worker 1 sends on its one topic between every other worker's events.
      sequence += 1;
      acks.admit(encodeTopic("busy"), encodeStampedEvent(event, "busy", busy, sequence));
    }
    assert.equal(acks.admit(encodeTopic("busy"), encodeStampedEvent(event, "busy", busy, sequence)), false, "worker 1 is still known");
  });
});
