/**
 * Optional abilities of agents whose transports share the wire format
 * `[topic, payload]`. The publisher service detects them and relays messages without
 * decoding and re-encoding them; agents without them are relayed through the
 * callback and `sendEvent`. Neither is required of a driver.
 */

/** A publisher that sends an already encoded message as it is. */
export interface RawFrameSink {
  /** Sends `[topic, payload]` unchanged, in order with `sendEvent` calls. */
  sendFrames(topic: Uint8Array, payload: Uint8Array): Promise<void>;
}

/** A subscriber that can hand over messages before decoding. */
export interface RawFrameSource {
  /**
   * Sends every received message to `handler` instead of decoding it for the callback.
   * Call before `daemonize()`. Messages that are not two frames, and payloads that
   * cannot be an event (the first byte starts no MessagePack map or array), are still
   * counted as undecodable and dropped by the subscriber, never handed on.
   */
  onRawFrames(handler: (topic: Uint8Array, payload: Uint8Array) => void): void;
}

/** True when `agent` implements {@link RawFrameSink}. */
export function isRawFrameSink(agent: unknown): agent is RawFrameSink {
  return typeof (agent as Partial<RawFrameSink> | null)?.sendFrames === "function";
}

/** True when `agent` implements {@link RawFrameSource}. */
export function isRawFrameSource(agent: unknown): agent is RawFrameSource {
  return typeof (agent as Partial<RawFrameSource> | null)?.onRawFrames === "function";
}
