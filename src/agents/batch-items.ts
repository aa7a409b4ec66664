import { WireFormatError } from "../errors.js";

/**
 * The items of a batched payload (a MessagePack array of event maps, see `encodeBatch`),
 * each as the bytes it was packed with: views into `payload`, nothing decoded or copied.
 * A publisher that does not batch sends each one as its own message, so a batch relayed
 * by the publisher service reaches plain (Dragonflow) subscribers one event a message.
 * Undefined when `payload` is not an array.
 *
 * @throws {@link WireFormatError} when the array's items run past its end or its bytes
 * are not MessagePack.
 */
export function batchItems(payload: Uint8Array): Uint8Array[] | undefined {
  const first = payload[0] ?? 0;
  let count: number;
  let at: number;
  if ((first & 0xf0) === 0x90) [count, at] = [first & 0x0f, 1];
  else if (first === 0xdc) [count, at] = [readUint(payload, 1, 2), 3];
  else if (first === 0xdd) [count, at] = [readUint(payload, 1, 4), 5];
  else return undefined;
  const items: Uint8Array[] = [];
  for (let i = 0; i < count; i += 1) {
    const end = endOfValue(payload, at);
    items.push(payload.subarray(at, end));
    at = end;
  }
  return items;
}

/**
 * Where the MessagePack value at `start` ends: its header bytes are read, its content
 * skipped. Nested maps and arrays add their entries to the values still to skip, so a
 * deep value takes no recursion.
 *
 * @throws {@link WireFormatError} when the value runs past the end of `bytes` or uses
 * the one byte MessagePack leaves unused (0xc1).
 */
export function endOfValue(bytes: Uint8Array, start: number): number {
  let at = start;
  let values = 1;
  while (values > 0) {
    if (at >= bytes.length) throw truncated(bytes);
    const type = bytes[at] as number;
    values -= 1;
    if (type <= 0x7f || type >= 0xe0) at += 1;
    else if (type <= 0x8f) [at, values] = [at + 1, values + 2 * (type & 0x0f)];
    else if (type <= 0x9f) [at, values] = [at + 1, values + (type & 0x0f)];
    else if (type <= 0xbf) at += 1 + (type & 0x1f);
    else at = endOfTyped(bytes, at, type, (more) => (values += more));
  }
  if (at > bytes.length) throw truncated(bytes);
  return at;
}

/** The end of a value whose type byte is 0xc0-0xdf; a map or array reports its entries with `more`. */
function endOfTyped(bytes: Uint8Array, at: number, type: number, more: (values: number) => void): number {
  switch (type) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return at + 1;
    case 0xc4:
    case 0xd9:
      return at + 2 + readUint(bytes, at + 1, 1);
    case 0xc5:
    case 0xda:
      return at + 3 + readUint(bytes, at + 1, 2);
    case 0xc6:
    case 0xdb:
      return at + 5 + readUint(bytes, at + 1, 4);
    case 0xc7:
      return at + 3 + readUint(bytes, at + 1, 1);
    case 0xc8:
      return at + 4 + readUint(bytes, at + 1, 2);
    case 0xc9:
      return at + 6 + readUint(bytes, at + 1, 4);
    case 0xca:
      return at + 5;
    case 0xcb:
      return at + 9;
    case 0xcc:
    case 0xd0:
      return at + 2;
    case 0xcd:
    case 0xd1:
      return at + 3;
    case 0xce:
    case 0xd2:
      return at + 5;
    case 0xcf:
    case 0xd3:
      return at + 9;
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return at + 2 + (1 << (type - 0xd4));
    case 0xdc:
    case 0xde:
      more(readUint(bytes, at + 1, 2) * (type === 0xde ? 2 : 1));
      return at + 3;
    case 0xdd:
    case 0xdf:
      more(readUint(bytes, at + 1, 4) * (type === 0xdf ? 2 : 1));
      return at + 5;
    default:
      throw new WireFormatError(`batch holds a byte that starts no MessagePack value (0x${type.toString(16)} at ${at})`);
  }
}

/** The big-endian unsigned integer of `size` bytes at `at`. @throws {@link WireFormatError} past the end. */
function readUint(bytes: Uint8Array, at: number, size: number): number {
  if (at + size > bytes.length) throw truncated(bytes);
  let value = 0;
  for (let i = 0; i < size; i += 1) value = value * 0x100 + (bytes[at + i] as number);
  return value;
}

function truncated(bytes: Uint8Array): WireFormatError {
  return new WireFormatError(`batch is cut short: its items run past its ${bytes.length} bytes`);
}
