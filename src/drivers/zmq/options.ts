import type * as zmq from "zeromq";
import type { PubSubConfig } from "../../contract.js";
import { publisherQueueSize } from "../../agents/publisher-base.js";
import { sectionOf } from "../section.js";

type ZmqSection = NonNullable<PubSubConfig["zmq"]>;

/**
 * The largest message the publisher's socket reads from a peer (ZMQ_MAXMSGSIZE): its
 * peers send only subscriptions, and libzmq keeps each in a trie at about 50 bytes per
 * byte of topic, so one long subscription drops that peer instead. Longer topics also
 * outrun `zmq.max_subscription_bytes` (libzmq takes a flood of 1,000-byte topics into
 * its trie faster than the publisher reads them: +1 GB for 30,000 of them), while
 * floods of topics up to 511 bytes stay under it. It leaves room for the CurveZMQ
 * handshake, whose commands (INITIATE, about 300 bytes) are read under the same limit.
 */
export const MAX_SUBSCRIPTION_MESSAGE_BYTES = 512;

/**
 * The `zmq` section of the config, every option filled in by the schema's defaults but
 * `curve`, which has none: absent unless configured; and the top-level option its
 * publishers take too, `publisher_queue_size`.
 */
export type ZmqOptions = Required<Omit<ZmqSection, "curve">> &
  Pick<ZmqSection, "curve"> & {
    /** `publisher_queue_size`: see `PublisherAgentOptions.queueSize`. */
    readonly queueSize: number;
  };

/** The `zmq` section, as the loader validated it and filled its defaults, with `publisher_queue_size`. */
export function zmqOptions(config: PubSubConfig): ZmqOptions {
  return { ...(sectionOf(config, "zmq") as Omit<ZmqOptions, "queueSize">), queueSize: publisherQueueSize(config) };
}

/**
 * Applies the options every ZeroMQ socket of ours shares (`zmq.max_message_bytes`
 * among them), and `zmq.backlog` to the sockets that bind. `zmq.linger_ms` applies to
 * sending sockets; a receiving socket (`role` "receive") has nothing of ours to flush
 * and lingers 0, so a subscriber's process exits at once.
 *
 * A subscriber ("subscribe") pings its publisher every `zmq.heartbeat_interval_ms` and
 * drops the connection after `zmq.heartbeat_timeout_ms` of silence, but asks nothing
 * of the publisher in return (no heartbeat TTL): a TTL is a timer in the publisher's
 * I/O thread per subscriber, reset by every message, and libzmq finds a timer to reset
 * by walking all of them (`poller_base_t::cancel_timer`). With 10,000 subscribers that
 * walk took the whole thread, which then neither accepted connections nor answered
 * heartbeats in time (see {@link applyNetworkPublisherOptions}).
 */
export function applySocketOptions(socket: zmq.Socket, options: ZmqOptions, role: "send" | "receive" | "subscribe"): void {
  socket.linger = role === "send" ? options.linger_ms : 0;
  // A larger message drops that peer: the sockets that bind take messages from any peer
  // (the inbox its workers' events, a publisher its subscribers' subscriptions), a
  // subscriber from the publishers it connects to (libzmq does not reconnect after such
  // a drop: the SUB subscriber does, see sub-subscriber.ts).
  socket.maxMessageSize = options.max_message_bytes === 0 ? -1 : options.max_message_bytes;
  if (role !== "subscribe") socket.backlog = options.backlog;
  applyReconnect(socket, options);
  if (options.heartbeat_interval_ms > 0) {
    socket.heartbeatInterval = options.heartbeat_interval_ms;
    socket.heartbeatTimeout = options.heartbeat_timeout_ms;
    if (role !== "subscribe") socket.heartbeatTimeToLive = options.heartbeat_timeout_ms;
  }
}

/**
 * The heartbeats of a network publisher, which may serve thousands of subscribers over
 * one libzmq I/O thread. Each ping it sends starts a timer that the answer cancels, and
 * libzmq cancels a timer by walking every timer of the thread: the cost grows with the
 * square of the subscribers. With a ping every 2 s (`zmq.heartbeat_interval_ms`), 7,000
 * subscribers kept the thread 50% busy when idle, and 10,000 kept it at 100%: it fell
 * behind on accepting, the kernel's accept queue stayed full, and connections timed out
 * faster than they were made. So the publisher pings every
 * `zmq.publisher_heartbeat_interval_ms` (10 s: about 5% of the thread for 10,000,
 * with a short burst every interval), still dropping a subscriber silent for
 * `zmq.heartbeat_timeout_ms` after a ping; the subscribers' own pings, every
 * `zmq.heartbeat_interval_ms`, still find a vanished publisher quickly. Heartbeats off
 * (`zmq.heartbeat_interval_ms` 0) turns these off too.
 */
export function applyNetworkPublisherOptions(socket: zmq.XPublisher, options: ZmqOptions): void {
  const interval = options.heartbeat_interval_ms > 0 ? options.publisher_heartbeat_interval_ms : 0;
  socket.heartbeatInterval = interval;
  if (interval > 0) socket.heartbeatTimeout = options.heartbeat_timeout_ms;
  // Its pings carry no TTL: each subscriber already times the publisher out on its own.
  socket.heartbeatTimeToLive = 0;
}

/**
 * `zmq.reconnect_interval_ms`, and with `zmq.reconnect_interval_max_ms` a doubling wait
 * up to it. libzmq jitters a fixed interval (it adds up to one interval at random) but
 * not a doubling one: every subscriber that lost the publisher at the same moment would
 * retry at the same moments. So each socket's interval and cap are scaled by its own
 * random factor between 1 and 1.5.
 */
function applyReconnect(socket: zmq.Socket, options: ZmqOptions): void {
  const max = options.reconnect_interval_max_ms;
  if (max <= 0) {
    socket.reconnectInterval = options.reconnect_interval_ms;
    return;
  }
  const jitter = 1 + Math.random() / 2;
  const interval = Math.max(1, Math.round(options.reconnect_interval_ms * jitter));
  socket.reconnectInterval = interval;
  socket.reconnectMaxInterval = Math.max(interval, Math.min(2_147_483_647, Math.round(max * jitter)));
}
