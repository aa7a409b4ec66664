// The wire codec on its own: what goes into a payload, what comes out, what is refused.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pack } from "msgpackr";
import { decodeEvent, decodeTopic, encodeEvent, encodeTopic } from "../../dist/index.js";

describe("wire codec", () => {
  it("round-trips every field type and sets topic to the topic sent on", () => {
    const update = { table: "t", key: "k", action: "set", value: { s: "žluť 🐎", n: -1.25, big: 2 ** 40, list: [1, null, { deep: true }] } };
    assert.deepEqual(decodeEvent(encodeEvent(update, "tenant")), { ...update, topic: "tenant" });
  });

  it("does not send extra keys and does not change the caller's value", () => {
    const value = { at: [2 ** 33, 5], nested: { neg: -(2 ** 35) } };
    const snapshot = structuredClone(value);
    const decoded = decodeEvent(encodeEvent({ table: "t", key: "k", action: "set", value, extra: 1 }, "D"));
    assert.deepEqual(value, snapshot);
    assert.deepEqual(decoded, { table: "t", key: "k", action: "set", value: snapshot, topic: "D" });
  });

  it("ignores unknown keys and reads absent table, key and topic as null", () => {
    assert.deepEqual(decodeEvent(pack({ action: "sync", future: [1, 2] })), { table: null, key: null, action: "sync", value: null, topic: null });
  });

  it("refuses what is not an event with PUBSUB_ERR_WIRE_FORMAT", () => {
    const cases = [
      [Buffer.from([0x85]), /^payload is not MessagePack \(1 bytes\)$/],
      [pack([1, 2]), /^payload is not a MessagePack map \(got an array\)$/],
      [pack({ table: "t" }), /^payload has no action \(got nil\)$/],
      [pack({ action: "set", table: 7 }), /^payload field table must be a string or nil \(got number\)$/],
    ];
    for (const [payload, message] of cases) {
      assert.throws(() => decodeEvent(payload), { code: "PUBSUB_ERR_WIRE_FORMAT", message });
    }
  });

  it("encodes topics as UTF-8 and refuses a topic frame that is not UTF-8", () => {
    assert.equal(decodeTopic(encodeTopic("Dž")), "Dž");
    assert.throws(() => decodeTopic(Buffer.from([0xff, 0xfe])), { code: "PUBSUB_ERR_WIRE_FORMAT" });
  });

  it("refuses a value it cannot encode with PUBSUB_ERR_SEND", () => {
    const loop = {};
    loop.self = loop;
    assert.throws(() => encodeEvent({ table: "t", key: "k", action: "set", value: loop }, "D"), { code: "PUBSUB_ERR_SEND" });
  });
});
