import { Packr } from "msgpackr";
import { SendError, WireFormatError } from "../errors.js";
import type { PubSubEvent } from "./event.js";

// Plain MessagePack maps, no msgpackr records or extensions: a Dragonflow peer decodes
// these with `msgpack.unpackb` and we decode what `msgpack.packb` produces.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, moreTypes: false });

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes an event as the wire payload: a MessagePack map
 * `{table, key, action, value, topic}` with `topic` set to the topic it is sent on.
 * Extra keys of `update` are not sent.
 *
 * @throws {@link SendError} when the value cannot be encoded.
 */
export function encodeEvent(update: PubSubEvent, topic: string): Buffer {
  try {
    return packr.pack({ table: update.table, key: update.key, action: update.action, value: update.value, topic });
  } catch (err: unknown) {
    throw new SendError(`cannot encode the event (table ${String(update.table)}, key ${String(update.key)}): ${String(err)}`, { cause: err });
  }
}

/**
 * Decodes a wire payload into an event. Unknown keys are ignored; `table`, `key` and
 * `topic` may be absent (they become `null`).
 *
 * @throws {@link WireFormatError} when the payload is not MessagePack, not a map, or
 * carries no string `action`.
 */
export function decodeEvent(payload: Uint8Array): PubSubEvent {
  let decoded: unknown;
  try {
    decoded = packr.unpack(payload);
  } catch (err: unknown) {
    throw new WireFormatError(`payload is not MessagePack (${payload.length} bytes)`, { cause: err });
  }
  if (typeof decoded !== "object" || decoded === null || Array.isArray(decoded) || decoded instanceof Uint8Array) {
    throw new WireFormatError(`payload is not a MessagePack map (got ${describe(decoded)})`);
  }
  const map = decoded as Record<string, unknown>;
  const action = map["action"];
  if (typeof action !== "string" || action === "") {
    throw new WireFormatError(`payload has no action (got ${describe(action)})`);
  }
  return {
    table: nullableText(map, "table"),
    key: nullableText(map, "key"),
    action,
    value: map["value"] ?? null,
    topic: nullableText(map, "topic"),
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

function nullableText(map: Record<string, unknown>, name: string): string | null {
  const value = map[name];
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return decodeTopic(value);
  throw new WireFormatError(`payload field ${name} must be a string or nil (got ${describe(value)})`);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "binary";
  return typeof value;
}
