import { Packr, type Options } from "msgpackr";
import { SendError, WireFormatError } from "../errors.js";
import { writeStringBody } from "./body-writer.js";
import type { PubSubEvent } from "../contract.js";

// Plain MessagePack maps, no msgpackr records or extensions: a Dragonflow peer decodes
// these with `msgpack.unpackb` and we decode what `msgpack.packb` produces. `undefined`
// goes out as nil (Python's None), and 64-bit integers come back as numbers when they
// fit one exactly (else as BigInt).
// int64AsType "auto" is supported at run time but missing from msgpackr's type declarations.
const options: Omit<Options, "int64AsType"> & { int64AsType: "auto" } = {
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  moreTypes: false,
  encodeUndefinedAsNil: true,
  int64AsType: "auto",
};
const packr = new Packr(options as unknown as Options);

/** Integers outside [-2^31, 2^32) are packed by msgpackr as float64 unless given as BigInt. */
const INT32_MIN = -(2 ** 31);
const UINT32_END = 2 ** 32;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Where an event came from and its place in that publisher's stream on its topic: the
 * extra keys `publisher_id` and `seq` of the wire map. Peers that know only the five
 * named keys ignore them.
 */
export interface EventStamp {
  /** The publisher agent that sent the event, the same for its whole life. */
  readonly publisherId: string;
  /** 1 for the publisher's first event on the topic, then one more for each. */
  readonly sequence: number;
}

/** An event as decoded from the wire, with its stamp when the sender put one. */
export interface WireEvent extends PubSubEvent {
  /** The sending publisher's id (`publisher_id`); undefined for unstamped senders (Dragonflow). */
  publisherId?: string | undefined;
  /** The event's sequence number on its topic (`seq`); undefined for unstamped senders. */
  sequence?: number | undefined;
}

/**
 * Encodes an event as the wire payload: a MessagePack map
 * `{table, key, action, value, topic}` with `topic` set to the topic it is sent on,
 * and, with a `stamp`, `publisher_id` and `seq`. Extra keys of `update` are not sent.
 *
 * @throws {@link SendError} when the value cannot be encoded.
 */
export function encodeEvent(update: PubSubEvent, topic: string, stamp?: EventStamp): Buffer {
  const body = encodeEventBody(update, topic);
  return stamp === undefined ? body : new Stamper(stamp.publisherId).stamp(body, stamp.sequence);
}

/**
 * The five-key map of an event, as a {@link Stamper} stamps it.
 *
 * @throws {@link SendError} when the value cannot be encoded.
 */
export function encodeEventBody(update: PubSubEvent, topic: string): Buffer {
  const written = writeStringBody(update, topic);
  if (written !== undefined) return written;
  try {
    const value = widenIntegers(update.value);
    return packr.pack({ table: update.table, key: update.key, action: update.action, value, topic });
  } catch (err: unknown) {
    throw new SendError(`cannot encode the event (table ${String(update.table)}, key ${String(update.key)}): ${String(err)}`, {
      cause: err,
    });
  }
}

// The stamp is written after the five keys, always in one form, so a subscriber reads it
// from fixed places at the end of the payload, without decoding it with the rest: two
// more keys cost msgpackr about a fifth more time per event. A map of 7 entries, then:
//   0xa3 "seq" 0xcf <uint64>        (13 bytes)
//   0xac "publisher_id" <str> <id>  (13 bytes, the string's header, the id)
const SEQ_KEY = Buffer.from([0xa3, ...Buffer.from("seq")]);
const ID_KEY = Buffer.from([0xac, ...Buffer.from("publisher_id")]);
/** Bytes of the stamp of a 16-byte id, the form {@link Stamper} writes for our publishers. */
const STAMP_BYTES = SEQ_KEY.length + 9 + ID_KEY.length + 1 + 16;
const FIXMAP_5 = 0x85;
const FIXMAP_7 = 0x87;

/**
 * A message a publisher sends: the topic frame, and an event's five-key body with the
 * sequence to stamp it with (see {@link Stamper}), or (sequence 0) a payload complete
 * as it is.
 */
export type OutgoingMessage = readonly [topic: Uint8Array, payload: Uint8Array, sequence: number];

/**
 * Stamps the payloads of one publisher: appends `seq` and `publisher_id` to the
 * five-key map (whose header becomes that of seven entries). The id's bytes are encoded
 * once.
 */
export class Stamper {
  /** The stamp with a zero sequence: `seq`, its uint64 header, 8 bytes to fill, then the id. */
  readonly #stamp: Buffer;

  constructor(publisherId: string) {
    const id = Buffer.from(publisherId, "utf8");
    if (id.length > 255) throw new SendError(`publisher id too long (${id.length} bytes, at most 255)`);
    const header = id.length < 32 ? Buffer.from([0xa0 | id.length]) : Buffer.from([0xd9, id.length]);
    this.#stamp = Buffer.concat([SEQ_KEY, Buffer.from([0xcf]), Buffer.alloc(8), ID_KEY, header, id]);
  }

  /** Bytes a stamp adds to a body. */
  get bytes(): number {
    return this.#stamp.length;
  }

  /** `body` (a five-key map) with `sequence` and the id appended. */
  stamp(body: Uint8Array, sequence: number): Buffer {
    const out = Buffer.allocUnsafe(body.length + this.#stamp.length);
    this.#stampAt(out, 0, body, sequence);
    return out;
  }

  /**
   * A batch (see {@link encodeBatch}) of the payloads of `messages`, written in one
   * allocation: each a five-key body to stamp with its sequence, or (sequence 0) a
   * payload to copy as it is.
   */
  batch(messages: readonly OutgoingMessage[]): Buffer {
    const header = arrayHeader(messages.length);
    let size = header.length;
    for (const [, payload, sequence] of messages) size += payload.length + (sequence === 0 ? 0 : this.#stamp.length);
    const out = Buffer.allocUnsafe(size);
    out.set(header, 0);
    let at = header.length;
    for (const [, payload, sequence] of messages) {
      if (sequence === 0) {
        out.set(payload, at);
        at += payload.length;
      } else {
        at = this.#stampAt(out, at, payload, sequence);
      }
    }
    return out;
  }

  /** Writes the stamped `body` into `out` at `at`; returns where it ends. */
  #stampAt(out: Buffer, at: number, body: Uint8Array, sequence: number): number {
    out.set(body, at);
    out[at] = FIXMAP_7;
    const stampAt = at + body.length;
    out.set(this.#stamp, stampAt);
    // The sequence, big-endian, in the 8 bytes after `seq` and its header.
    let n = stampAt + SEQ_KEY.length + 1;
    const high = Math.floor(sequence / 0x1_0000_0000);
    const low = sequence >>> 0;
    out[n++] = high >>> 24;
    out[n++] = (high >>> 16) & 0xff;
    out[n++] = (high >>> 8) & 0xff;
    out[n++] = high & 0xff;
    out[n++] = low >>> 24;
    out[n++] = (low >>> 16) & 0xff;
    out[n++] = (low >>> 8) & 0xff;
    out[n] = low & 0xff;
    return stampAt + this.#stamp.length;
  }
}

/** Encodes an event stamped by `stamper`: what a publisher of this project sends. */
export function encodeStampedEvent(update: PubSubEvent, topic: string, stamper: Stamper, sequence: number): Buffer {
  return stamper.stamp(encodeEventBody(update, topic), sequence);
}

/**
 * Decodes a wire payload into an event. Unknown keys are ignored; `table`, `key` and
 * `topic` may be absent (they become `null`).
 *
 * @throws {@link WireFormatError} when the payload is not MessagePack, not a map, or
 * carries no string `action`.
 */
export function decodeEvent(payload: Uint8Array): WireEvent {
  const decoded = unpack(payload);
  if (Array.isArray(decoded)) throw new WireFormatError("payload is not a MessagePack map (got an array)");
  return withStampIfAny(toEvent(decoded, "payload"));
}

/** The event with `publisherId` and `sequence` only when it carries them, for callers that compare whole objects. */
function withStampIfAny(decoded: WireEvent): WireEvent {
  const { publisherId, sequence, ...event } = decoded;
  return publisherId === undefined ? event : { ...event, publisherId, sequence };
}

/**
 * Decodes a payload that holds one event or, in the batched wire mode, a MessagePack
 * array of events. Each item is an event or the {@link WireFormatError} that says why it
 * is not one, so one bad item does not spoil the rest.
 *
 * @throws {@link WireFormatError} when the payload is not MessagePack, or is one event
 * that is not valid.
 */
export function decodeEvents(payload: Uint8Array): (WireEvent | WireFormatError)[] {
  const decoded = decodePayload(payload);
  return (Array.isArray(decoded) ? decoded : [decoded]).map((item) => (item instanceof WireFormatError ? item : withStampIfAny(item)));
}

/**
 * {@link decodeEvents} without wrapping a single event in an array: the receive path
 * of every subscriber, where that array was one allocation per event.
 *
 * @throws {@link WireFormatError} when the payload is not MessagePack, or is one event
 * that is not valid.
 */
export function decodePayload(payload: Uint8Array): WireEvent | (WireEvent | WireFormatError)[] {
  const decoded = unpack(payload);
  if (!Array.isArray(decoded)) return toEvent(decoded, "payload");
  return decoded.map((item: unknown, index) => {
    try {
      return toEvent(item, `batch item ${index}`);
    } catch (err: unknown) {
      return err instanceof WireFormatError ? err : new WireFormatError(String(err), { cause: err });
    }
  });
}

/**
 * {@link decodePayload} for one receiver, fast for the payloads our publishers send: it
 * reads their stamp from its fixed place at the end (see {@link Stamper}) and decodes
 * only the five keys before it, and remembers the last publisher id it read, so a run
 * of events from one publisher makes one id string. Anything else (a batch, a
 * Dragonflow peer's event, another form of stamp) is decoded whole, as
 * {@link decodePayload} does. One per subscriber: nothing is shared.
 */
export class PayloadDecoder {
  #lastId: Uint8Array | undefined;
  #lastIdText = "";

  /** @throws {@link WireFormatError} as {@link decodePayload} does. */
  decode(payload: Uint8Array): WireEvent | (WireEvent | WireFormatError)[] {
    const n = payload.length;
    const stamp = payload[0] === FIXMAP_7 ? stampAt(payload) : undefined;
    if (stamp !== undefined) {
      const { sequence } = stamp;
      // The five keys alone: the same bytes with a five-entry header (put back after).
      payload[0] = FIXMAP_5;
      let body: unknown;
      try {
        // An end position, not a subarray: msgpackr decodes a subarray about half as fast.
        body = packr.unpack(payload, n - STAMP_BYTES);
      } catch {
        body = undefined; // not what it looked like: decoded whole below
      } finally {
        payload[0] = FIXMAP_7;
      }
      if (body !== undefined) return toEvent(body, "payload", this.#idAt(payload, stamp.idAt), sequence);
    }
    return decodePayload(payload);
  }

  #idAt(payload: Uint8Array, at: number): string {
    const last = this.#lastId;
    if (last !== undefined && sameBytesAt(payload, at, last)) return this.#lastIdText;
    const bytes = payload.slice(at, at + 16);
    this.#lastIdText = decodeTopic(bytes);
    this.#lastId = bytes;
    return this.#lastIdText;
  }
}

/** Where a stamp is: its sequence and the offset of the 16-byte publisher id. */
export interface StampAt {
  readonly sequence: number;
  readonly idAt: number;
}

/**
 * The stamp {@link Stamper} writes for a 16-byte id, read from its fixed place at the
 * end of `payload` without decoding the rest (for a batch, the last event's), or
 * undefined when the payload ends with none. The subscribers' decoder and the IPC
 * hop's acknowledgements read it.
 */
export function stampAt(payload: Uint8Array): StampAt | undefined {
  const n = payload.length;
  const seqAt = n - STAMP_BYTES;
  if (seqAt < 1) return undefined;
  const idKeyAt = seqAt + SEQ_KEY.length + 9;
  if (!sameBytesAt(payload, seqAt, SEQ_KEY) || payload[seqAt + SEQ_KEY.length] !== 0xcf) return undefined;
  if (!sameBytesAt(payload, idKeyAt, ID_KEY) || payload[idKeyAt + ID_KEY.length] !== (0xa0 | 16)) return undefined;
  const at = seqAt + SEQ_KEY.length + 1;
  const sequence = readUint32(payload, at) * 0x1_0000_0000 + readUint32(payload, at + 4);
  return sequence >= 1 && Number.isSafeInteger(sequence) ? { sequence, idAt: n - 16 } : undefined;
}

function sameBytesAt(payload: Uint8Array, at: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i += 1) if (payload[at + i] !== expected[i]) return false;
  return true;
}

/** The big-endian unsigned 32-bit integer at `at`. */
export function readUint32(bytes: Uint8Array, at: number): number {
  return (bytes[at] ?? 0) * 0x100_0000 + ((bytes[at + 1] ?? 0) << 16) + ((bytes[at + 2] ?? 0) << 8) + (bytes[at + 3] ?? 0);
}

/**
 * Packs single-event payloads into one batched payload: a MessagePack array whose items
 * are the payloads as they are (an array is its header followed by its items, so
 * nothing is encoded again). Only subscribers of this project read batches.
 */
export function encodeBatch(payloads: readonly Uint8Array[]): Buffer {
  return Buffer.concat([arrayHeader(payloads.length), ...payloads]);
}

/** The MessagePack header of an array of `n` items. */
function arrayHeader(n: number): Buffer {
  if (n < 16) return Buffer.from([0x90 | n]);
  if (n < 0x10000) {
    const header = Buffer.allocUnsafe(3);
    header[0] = 0xdc;
    header.writeUInt16BE(n, 1);
    return header;
  }
  const header = Buffer.allocUnsafe(5);
  header[0] = 0xdd;
  header.writeUInt32BE(n, 1);
  return header;
}

/** Events in a payload, read from its first bytes: the length of a batch's array, else 1. */
export function eventsInPayload(payload: Uint8Array): number {
  const first = payload[0] ?? 0;
  if ((first & 0xf0) === 0x90) return first & 0x0f;
  if (first === 0xdc) return ((payload[1] ?? 0) << 8) + (payload[2] ?? 0);
  if (first === 0xdd) return readUint32(payload, 1);
  return 1;
}

/** True when `payload` holds one event (a MessagePack map), so it may join a batch. */
export function isSingleEventPayload(payload: Uint8Array): boolean {
  const first = payload[0];
  return first !== undefined && ((first & 0xf0) === 0x80 || first === 0xde || first === 0xdf);
}

/**
 * A cheap first look at a payload passed on without decoding: true when its first byte
 * starts a MessagePack map (one event) or array (a batch of events, the batched wire
 * mode). Anything else cannot decode to an event.
 */
export function isEventPayload(payload: Uint8Array): boolean {
  const first = payload[0];
  if (first === undefined) return false;
  const high = first & 0xf0;
  return high === 0x80 || high === 0x90 || (first >= 0xdc && first <= 0xdf);
}

function unpack(payload: Uint8Array): unknown {
  try {
    return packr.unpack(payload);
  } catch (err: unknown) {
    throw new WireFormatError(`payload is not MessagePack (${payload.length} bytes)`, { cause: err });
  }
}

function toEvent(decoded: unknown, what: string, stampId?: string, stampSequence?: number): WireEvent {
  if (typeof decoded !== "object" || decoded === null || Array.isArray(decoded) || decoded instanceof Uint8Array) {
    throw new WireFormatError(`${what} is not a MessagePack map (got ${kindOf(decoded)})`);
  }
  const map = decoded as Record<string, unknown>;
  const action = map["action"];
  if (typeof action !== "string" || action === "") {
    throw new WireFormatError(`${what} has no action (got ${kindOf(action)})`);
  }
  // A stamp that is not a string id and a whole sequence >= 1 is no stamp: the event is
  // delivered as an unstamped one is. Every event has the same shape, stamped or not.
  const publisherId = stampId ?? map["publisher_id"];
  const sequence = stampSequence ?? map["seq"];
  const stamped = typeof publisherId === "string" && typeof sequence === "number" && Number.isSafeInteger(sequence) && sequence >= 1;
  return {
    table: nullableText(map, "table"),
    key: nullableText(map, "key"),
    action,
    value: map["value"] ?? null,
    topic: nullableText(map, "topic"),
    publisherId: stamped ? publisherId : undefined,
    sequence: stamped ? sequence : undefined,
  };
}

/** The topic frame: the topic as UTF-8 bytes. */
export function encodeTopic(topic: string): Uint8Array {
  return textEncoder.encode(topic);
}

/**
 * Reads a topic frame.
 *
 * @throws {@link WireFormatError} when the bytes are not UTF-8.
 */
export function decodeTopic(frame: Uint8Array): string {
  try {
    return textDecoder.decode(frame);
  } catch (err: unknown) {
    throw new WireFormatError(`topic frame is not UTF-8 (${frame.length} bytes)`, { cause: err });
  }
}

/** Topic frames longer than this are decoded every time, not remembered. */
const MAX_CACHED_TOPIC_BYTES = 64;

/**
 * {@link decodeTopic} for one receiver: most messages carry the topic of the one
 * before, so it compares the bytes (a few, in JavaScript) with the last short frame it
 * decoded rather than decode them again. One per subscriber: the last topic is that
 * subscriber's, never shared.
 */
export class TopicDecoder {
  #lastFrame: Uint8Array | undefined;
  #lastTopic = "";

  /** The topic of `frame`. @throws {@link WireFormatError} when the bytes are not UTF-8. */
  decode(frame: Uint8Array): string {
    if (this.#lastFrame !== undefined && sameBytes(frame, this.#lastFrame)) return this.#lastTopic;
    const topic = decodeTopic(frame);
    if (frame.length <= MAX_CACHED_TOPIC_BYTES) {
      this.#lastFrame = Uint8Array.from(frame); // a copy: the frame's memory is not ours to keep
      this.#lastTopic = topic;
    }
    return topic;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Returns `value` with every safe integer beyond 32 bits turned into a BigInt, so it is
 * packed as a MessagePack integer (as Python's msgpack does) rather than a float64, which
 * a Python peer would read as a float. Copies only the objects and arrays on the path to
 * such an integer; anything else is returned as is.
 */
function widenIntegers(value: unknown): unknown {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && (value < INT32_MIN || value >= UINT32_END) ? BigInt(value) : value;
  }
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const widened = widenIntegers(item);
      if (widened !== item) (copy ??= value.slice())[i] = widened;
    }
    return copy ?? value;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [name, item] of Object.entries(value)) {
    const widened = widenIntegers(item);
    if (widened !== item) (copy ??= { ...value })[name] = widened;
  }
  return copy ?? value;
}

function nullableText(map: Record<string, unknown>, name: string): string | null {
  const value = map[name];
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return decodeTopic(value);
  throw new WireFormatError(`payload field ${name} must be a string or nil (got ${kindOf(value)})`);
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "binary";
  return typeof value;
}
