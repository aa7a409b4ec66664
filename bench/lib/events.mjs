// The events every scenario sends: Dragonflow-shaped, a string value of a chosen size.
import { pack } from "msgpackr";

/** Table of the events that are measured; probes and markers use other tables. */
export const BENCH_TABLE = "bench";
export const PROBE_TABLE = "probe";
export const END_TABLE = "end";
export const TOPIC = "D";

/** A value string of `size` bytes. */
export function padding(size) {
  return "x".repeat(size);
}

/** The i-th measured event. `sentAt` (ns, monotonic) is carried in the key when given. */
export function benchEvent(i, pad, sentAt) {
  return { table: BENCH_TABLE, key: sentAt === undefined ? String(i) : String(sentAt), action: "update", value: pad };
}

/** What a raw zeromq.js peer sends: the same map our codec writes, packed by msgpackr. */
export function rawPayload(event, topic = TOPIC) {
  return pack({ table: event.table, key: event.key, action: event.action, value: event.value, topic });
}

/** Monotonic nanoseconds as a Number, comparable across processes on one machine. */
export function nowNs() {
  return Number(process.hrtime.bigint());
}
