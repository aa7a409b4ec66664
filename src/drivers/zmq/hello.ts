/**
 * The welcome message our network publishers (XPUB sockets) send to every subscriber
 * connection as it is made, a single frame. Our subscribers subscribe to it: the first
 * one on a connection means "connected"; any later one means the connection was lost
 * and made again (the publisher restarted, or heartbeats timed out), so events may have
 * been missed and the callback gets `"sync"`. Subscribers of other implementations do
 * not subscribe to it and never see it, unless they subscribe to every topic (`""`).
 */
export const HELLO = "\u0001pubsub.hello";

const HELLO_BYTES = Buffer.from(HELLO, "utf8");

/** True when `frames` is the welcome message. */
export function isHello(frames: readonly Buffer[]): boolean {
  return frames.length === 1 && frames[0] !== undefined && frames[0].equals(HELLO_BYTES);
}

/**
 * Reads a subscription message an XPUB socket hands its owner (`\x01topic` subscribes,
 * `\x00topic` unsubscribes): +1 or -1 when it is about the welcome message, else 0.
 */
export function isHelloSubscription(message: Buffer): -1 | 0 | 1 {
  if (message.length !== HELLO_BYTES.length + 1 || !message.subarray(1).equals(HELLO_BYTES)) return 0;
  if (message[0] === 1) return 1;
  return message[0] === 0 ? -1 : 0;
}
