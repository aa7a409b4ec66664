/**
 * The send-to-all topic: every subscriber registers it, so an event published on it
 * reaches every node.
 */
export const SEND_ALL_TOPIC = "D";

/**
 * The action that tells a subscriber "you may have missed events: resynchronise".
 * It arrives with `table`, `key`, `value` and `topic` all `null`, after the transport
 * lost its connection and re-established it.
 */
export const SYNC_ACTION = "sync";

/**
 * One change to the control plane's database, as Dragonflow's `DbUpdate` carries it.
 *
 * @example
 * ```ts
 * const update: PubSubEvent = {
 *   table: "lport", key: "port-42", action: "create",
 *   value: { mac: "fa:16:3e:00:00:01" }, topic: "tenant-a",
 * };
 * ```
 */
export interface PubSubEvent {
  /** Table (model) the change belongs to, or `null` for a `"sync"` notice. */
  table: string | null;
  /** Key of the changed row, or `null`. */
  key: string | null;
  /** What happened: `"create"`, `"set"`, `"delete"`, `"sync"`, or any driver-agnostic verb. */
  action: string;
  /** The new value, any MessagePack-encodable data (often a JSON string in Dragonflow). */
  value: unknown;
  /** Topic the event is published on, or `null` to use the default. */
  topic?: string | null;
}

/**
 * Receives every event a subscriber accepts. A callback that throws or rejects is
 * logged and the subscriber keeps receiving. The subscriber does not wait for one
 * call's promise before making the next call.
 */
export type EventCallback = (
  table: string | null,
  key: string | null,
  action: string,
  value: unknown,
  topic: string | null,
) => void | Promise<void>;

/**
 * The topic rule every publisher applies: the explicit `topic` argument, else the
 * event's own topic, else {@link SEND_ALL_TOPIC}.
 */
export function resolveTopic(update: PubSubEvent, topic?: string | null): string {
  return topic ?? update.topic ?? SEND_ALL_TOPIC;
}
