import type { PubSubEvent } from "../contract.js";

// The five-key map `{table, key, action, value, topic}` of an event whose fields are all
// strings, written without msgpackr: the map header and the keys are the same bytes every
// time, so they are copied, and short ASCII text is written a byte at a time, longer text
// by Buffer's native UTF-8 writer. This is the map every publisher writes per event;
// msgpackr spends about a third more on it (it lists the object's keys and encodes each
// key again). The bytes are exactly those msgpackr writes for the same map, which the
// tests check on text of every length class and kind.

/** A five-entry map header. */
const FIXMAP_5 = 0x85;
const keyBytes = (name: string): Buffer => Buffer.from([0xa0 | name.length, ...Buffer.from(name, "latin1")]);
const TABLE = keyBytes("table");
const KEY = keyBytes("key");
const ACTION = keyBytes("action");
const VALUE = keyBytes("value");
const TOPIC = keyBytes("topic");
/** The header and the five keys. */
const FIXED_BYTES = 1 + TABLE.length + KEY.length + ACTION.length + VALUE.length + TOPIC.length;

/** Longer texts (in UTF-16 units, all fields together) are left to msgpackr, which sizes its buffer as it goes. */
const MAX_TEXT_UNITS = 4 * 1024;
/**
 * The buffer maps are written into, in turn, as msgpackr does with its own; a new one
 * when the next map might not fit. Small, since a map kept (in a publisher's queue or
 * replay window) keeps its whole buffer.
 */
const CHUNK_BYTES = 16 * 1024;

let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
let at = 0;

/**
 * The five-key map of `update` on `topic`, or undefined when a field is not a string
 * (for msgpackr to pack). The result is a view into a shared buffer that later maps
 * never overwrite; it is kept as long as the view is.
 */
export function writeStringBody(update: PubSubEvent, topic: string): Buffer | undefined {
  const { table, key, action, value } = update;
  if (typeof table !== "string" || typeof key !== "string" || typeof action !== "string" || typeof value !== "string") return undefined;
  const units = table.length + key.length + action.length + value.length + topic.length;
  if (units > MAX_TEXT_UNITS) return undefined;
  // At most 3 bytes per UTF-16 unit, and a 5-byte header per text.
  const most = FIXED_BYTES + 3 * units + 25;
  if (at + most > chunk.length) {
    chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    at = 0;
  }
  const start = at;
  chunk[at++] = FIXMAP_5;
  at = writeText(table, writeBytes(TABLE, at));
  at = writeText(key, writeBytes(KEY, at));
  at = writeText(action, writeBytes(ACTION, at));
  at = writeText(value, writeBytes(VALUE, at));
  at = writeText(topic, writeBytes(TOPIC, at));
  return chunk.subarray(start, at);
}

function writeBytes(bytes: Buffer, to: number): number {
  chunk.set(bytes, to);
  return to + bytes.length;
}

/** Bytes of the header of a text of `length` bytes; msgpackr reserves as many for `length` UTF-16 units before it knows the bytes. */
function headerBytes(length: number): number {
  if (length < 0x20) return 1;
  if (length < 0x100) return 2;
  return length < 0x10000 ? 3 : 5;
}

/** Writes `text` as a MessagePack string at `to`; returns where it ends. */
function writeText(text: string, to: number): number {
  const units = text.length;
  if (units < 0x20) {
    let end = to + 1;
    let i = 0;
    for (; i < units; i += 1) {
      const unit = text.charCodeAt(i);
      if (unit >= 0x80) break;
      chunk[end++] = unit;
    }
    if (i === units) {
      chunk[to] = 0xa0 | units;
      return end;
    }
  }
  // As msgpackr: the text after the header its length in units suggests, moved on when
  // its UTF-8 bytes need a longer one (UTF-8 never takes fewer bytes than UTF-16 units).
  const reserved = headerBytes(units);
  const length = chunk.write(text, to + reserved, "utf8");
  const header = headerBytes(length);
  if (header > reserved) chunk.copyWithin(to + header, to + reserved, to + reserved + length);
  if (header === 1) {
    chunk[to] = 0xa0 | length;
  } else if (header === 2) {
    chunk[to] = 0xd9;
    chunk[to + 1] = length;
  } else if (header === 3) {
    chunk[to] = 0xda;
    chunk.writeUInt16BE(length, to + 1);
  } else {
    chunk[to] = 0xdb;
    chunk.writeUInt32BE(length, to + 1);
  }
  return to + header + length;
}
