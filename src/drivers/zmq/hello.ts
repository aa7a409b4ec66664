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
