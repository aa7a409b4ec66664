/**
 * What the IPC hop reads of a payload without decoding it: the stamp (read by
 * `stampAt` in `agents/codec.ts`, the one place that knows its layout), the publisher
 * id as text, how many events a batch holds, and the acknowledgement frames. The hop
 * reads them on both ends: the worker to know what the service confirmed, the service
 * to drop a replayed event.
 */

export { stampAt as stampOf, type StampAt } from "../../agents/codec.js";
import { readUint32, type StampAt } from "../../agents/codec.js";
export { eventsInPayload as eventsIn } from "../../agents/codec.js";

const ID_BYTES = 16;

/** The publisher id of a stamp, as text. */
export function idOf(payload: Uint8Array, stamp: StampAt): string {
  return Buffer.from(payload.buffer, payload.byteOffset + stamp.idAt, ID_BYTES).toString("latin1");
}

/** A sequence as the 8 bytes of an acknowledgement frame. */
export function sequenceFrame(sequence: number): Buffer {
  const frame = Buffer.allocUnsafe(8);
  frame.writeUInt32BE(Math.floor(sequence / 0x1_0000_0000), 0);
  frame.writeUInt32BE(sequence >>> 0, 4);
  return frame;
}

/** The sequence in an acknowledgement frame; undefined when it is not 8 bytes. */
export function sequenceOfFrame(frame: Uint8Array): number | undefined {
  return frame.length === 8 ? readUint32(frame, 0) * 0x1_0000_0000 + readUint32(frame, 4) : undefined;
}
