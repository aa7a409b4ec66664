// Splitting a batch into its items without decoding them (what the publisher service
// does for a network that does not batch): every MessagePack form an event may hold, and
// the batches that are cut short or not MessagePack.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Packr } from "msgpackr";
import { encodeEvent } from "../../dist/wire.js";
import { batchItems, encodeBatch } from "../../dist/internal.js";

/** Plain MessagePack, as a Python peer packs it; Dates as the timestamp extension. */
const packr = new Packr({ useRecords: false, moreTypes: true, variableMapSize: true });

/** Values of every MessagePack type and length class. */
const values = [
  0,
  127,
  -1,
  -32,
  -33,
  255,
  -128,
  65_535,
  -32_768,
  2 ** 32 - 1,
  -(2 ** 31),
  2n ** 63n,
  -(2n ** 63n),
  0.5,
  -1.25e300,
  null,
  true,
  false,
  "",
  "a".repeat(31),
  "b".repeat(32),
  "c".repeat(256),
  "d".repeat(70_000),
  Buffer.alloc(0),
  Buffer.alloc(300, 7),
  Buffer.alloc(70_000, 9),
  [],
  Array.from({ length: 16 }, (_, i) => i),
  Array.from({ length: 70_000 }, () => 1),
  { a: { b: [{ c: null }, [[], {}]] } },
  Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])),
  new Date(0),
  new Date(2 ** 40),
];

describe("batchItems", () => {
  it("gives back every item as packed, for every type and length class", () => {
    const payloads = values.map((value) => packr.pack({ table: "t", key: "k", action: "set", value, topic: "D" }));
    payloads.push(encodeEvent({ table: "t", key: null, action: "set", value: 1 }, "D"));
    for (const count of [1, 15, 16, payloads.length]) {
      const items = payloads.slice(0, count);
      assert.deepEqual(
        batchItems(encodeBatch(items)).map((item) => Buffer.from(item)),
        items.map((item) => Buffer.from(item)),
      );
    }
    const many = Array.from({ length: 70_000 }, (_, i) => encodeEvent({ table: "t", key: String(i), action: "set", value: i }, "D"));
    assert.equal(batchItems(encodeBatch(many)).length, 70_000);
  });

  it("returns undefined for one event, and refuses a batch cut short or holding a byte that starts no value", () => {
    const event = encodeEvent({ table: "t", key: "k", action: "set", value: "v" }, "D");
    assert.equal(batchItems(event), undefined);
    const batch = encodeBatch([event, event]);
    for (const end of [batch.length - 1, event.length + 1, 2]) {
      assert.throws(() => batchItems(batch.subarray(0, end)), { code: "PUBSUB_ERR_WIRE_FORMAT", message: /cut short/ });
    }
    assert.throws(() => batchItems(Buffer.from([0x92, 0xc0, 0xc1])), {
      code: "PUBSUB_ERR_WIRE_FORMAT",
      message: "batch holds a byte that starts no MessagePack value (0xc1 at 2)",
    });
  });
});
