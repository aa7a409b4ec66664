// The wire codec on its own: what goes into a payload, what comes out, what is refused.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pack, Packr } from "msgpackr";
import { decodeEvent, decodeTopic, encodeEvent, encodeTopic } from "../../dist/wire.js";
import { decodeEvents, encodeBatch, encodeEventBody, PayloadDecoder, Stamper, writeStringBody } from "../../dist/internal.js";

// msgpackr as the codec sets it up: maps of up to 15 entries get the short header.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, moreTypes: false, encodeUndefinedAsNil: true });

describe("wire codec", () => {
  it("round-trips every field type and sets topic to the topic sent on", () => {
    const update = {
      table: "t",
      key: "k",
      action: "set",
      value: { s: "žluť 🐎", n: -1.25, big: 2 ** 40, list: [1, null, { deep: true }] },
    };
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
    assert.deepEqual(decodeEvent(pack({ action: "sync", future: [1, 2] })), {
      table: null,
      key: null,
      action: "sync",
      value: null,
      topic: null,
    });
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

  it("reads each topic frame as its own bytes say, whatever frame came before", () => {
    // The decoder remembers the last frame: a frame with other bytes, a changed frame
    // object, or bad bytes after a good frame are each read afresh.
    const frame = Buffer.from("tenant-a");
    assert.equal(decodeTopic(frame), "tenant-a");
    assert.equal(decodeTopic(Buffer.from("tenant-a")), "tenant-a");
    frame[7] = "b".charCodeAt(0);
    assert.equal(decodeTopic(frame), "tenant-b");
    assert.equal(decodeTopic(Buffer.from("D")), "D");
    assert.equal(decodeTopic(Buffer.from("Dž")), "Dž");
    assert.throws(() => decodeTopic(Buffer.from([0x44, 0xff])), { code: "PUBSUB_ERR_WIRE_FORMAT" });
    assert.equal(decodeTopic(Buffer.alloc(0)), "");
    assert.equal(decodeTopic(Buffer.from("D")), "D");
  });

  it("refuses a value it cannot encode with PUBSUB_ERR_SEND", () => {
    const loop = {};
    loop.self = loop;
    assert.throws(() => encodeEvent({ table: "t", key: "k", action: "set", value: loop }, "D"), { code: "PUBSUB_ERR_SEND" });
  });

  it("packs single payloads into a batch as they are, and reads plain and batched payloads", () => {
    for (const count of [1, 15, 16, 70_000]) {
      const events = Array.from({ length: count }, (_, i) => ({ table: "t", key: `k${i}`, action: "set", value: i }));
      const batch = encodeBatch(events.map((event) => encodeEvent(event, "D")));
      assert.deepEqual(
        decodeEvents(batch),
        events.map((event) => ({ ...event, topic: "D" })),
      );
    }
    assert.deepEqual(decodeEvents(encodeEvent({ table: "t", key: "k", action: "set", value: 1 }, "D")), [
      { table: "t", key: "k", action: "set", value: 1, topic: "D" },
    ]);
  });

  it("drops a bad batch item alone and refuses a batch that is not MessagePack", () => {
    const good = encodeEvent({ table: "t", key: "k", action: "set", value: 1 }, "D");
    const items = decodeEvents(encodeBatch([good, pack({ table: "t" }), pack(3), good]));
    assert.equal(items.length, 4);
    assert.equal(items[0].key, "k");
    assert.equal(items[1].code, "PUBSUB_ERR_WIRE_FORMAT");
    assert.match(items[1].message, /^batch item 1 has no action/);
    assert.match(items[2].message, /^batch item 2 is not a MessagePack map \(got number\)$/);
    assert.equal(items[3].key, "k");
    assert.throws(() => decodeEvents(Buffer.from([0x85])), { code: "PUBSUB_ERR_WIRE_FORMAT" });
  });

  it("writes a batch of bodies stamped at write time byte for byte as the batch of the stamped events", () => {
    const stamper = new Stamper("0123456789abcdef");
    const topic = encodeTopic("D");
    const events = [1, 2, 3].map((i) => ({ table: "t", key: String(i), action: "set", value: "v".repeat(i * 50) }));
    const relayed = encodeEvent({ table: "r", key: "x", action: "set" }, "D");
    const messages = [...events.map((event, i) => [topic, encodeEventBody(event, "D"), 40 + i]), [topic, relayed, 0]];
    const batch = stamper.batch(messages);
    const stamped = events.map((event, i) => stamper.stamp(encodeEventBody(event, "D"), 40 + i));
    assert.deepEqual(batch, encodeBatch([...stamped, relayed]));
    assert.deepEqual(
      new PayloadDecoder().decode(batch).map((event) => [event.key, event.sequence, event.publisherId]),
      [
        ["1", 40, "0123456789abcdef"],
        ["2", 41, "0123456789abcdef"],
        ["3", 42, "0123456789abcdef"],
        ["x", undefined, undefined],
      ],
    );
    assert.equal(stamped[0].length - encodeEventBody(events[0], "D").length, stamper.bytes);
    for (const sequence of [1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
      const event = new PayloadDecoder().decode(stamper.stamp(encodeEventBody(events[0], "D"), sequence));
      assert.equal(event.sequence, sequence);
    }
  });

  it("writes the map of an event of strings itself, byte for byte as msgpackr packs it", () => {
    // Text of every header class and of every UTF-8 width: ASCII, 2, 3 and 4 bytes a
    // character, a lone surrogate, and short text whose bytes need the longer header.
    const texts = ["", "a", "x".repeat(31), "x".repeat(32), "x".repeat(63), "x".repeat(255), "x".repeat(256), "x".repeat(1000)];
    texts.push(
      "ž",
      "€".repeat(10),
      "€".repeat(11),
      "€".repeat(90),
      "🐎".repeat(8),
      "🐎".repeat(70),
      "a\ud800b",
      "\udc00".repeat(40),
      "tenant-ž",
    );
    const kept = [];
    for (const text of texts) {
      for (const update of [
        { table: text, key: "k", action: "set", value: "v" },
        { table: "t", key: text, action: "set", value: text },
        { table: "t", key: "k", action: text || "a", value: text },
      ]) {
        for (const topic of [text, "D"]) {
          const written = writeStringBody(update, topic);
          assert.ok(written !== undefined, `written itself: ${JSON.stringify(update).slice(0, 100)}`);
          const expected = packr.pack({ table: update.table, key: update.key, action: update.action, value: update.value, topic });
          assert.equal(written.toString("hex"), expected.toString("hex"), JSON.stringify({ update, topic }).slice(0, 100));
          assert.equal(encodeEventBody(update, topic).toString("hex"), expected.toString("hex"));
          kept.push([written, Buffer.from(expected)]);
        }
      }
    }
    // Each map is its own: writing the next ones (past the shared buffer's end) changes none.
    for (let i = 0; i < 2_000; i += 1) writeStringBody({ table: "t", key: String(i), action: "set", value: "v".repeat(i % 300) }, "D");
    for (const [written, expected] of kept) assert.equal(Buffer.compare(written, expected), 0);
    // Anything but strings, and very long text, is left to msgpackr.
    assert.equal(writeStringBody({ table: "t", key: "k", action: "set", value: 1 }, "D"), undefined);
    assert.equal(writeStringBody({ table: null, key: "k", action: "set", value: "v" }, "D"), undefined);
    assert.equal(writeStringBody({ table: "t", key: "k", action: "set", value: "v".repeat(100_000) }, "D"), undefined);
    const long = { table: "t", key: "k", action: "set", value: "v".repeat(100_000) };
    assert.equal(Buffer.compare(encodeEventBody(long, "D"), packr.pack({ ...long, topic: "D" })), 0);
  });

  it("keeps decodeEvent strict: a batch is not one event", () => {
    const good = encodeEvent({ table: "t", key: "k", action: "set", value: 1 }, "D");
    assert.throws(() => decodeEvent(encodeBatch([good, good])), { code: "PUBSUB_ERR_WIRE_FORMAT", message: /got an array/ });
  });
});
