import type * as zmq from "zeromq";
import type { PubSubConfig } from "../../contract.js";
import { sectionOf } from "../section.js";

type ZmqSection = NonNullable<PubSubConfig["zmq"]>;

/**
 * The `zmq` section of the config, every option filled in by the schema's defaults but
 * `curve`, which has none: absent unless configured.
 */
export type ZmqOptions = Required<Omit<ZmqSection, "curve">> & Pick<ZmqSection, "curve">;

/** The `zmq` section, as the loader validated it and filled its defaults. */
export function zmqOptions(config: PubSubConfig): ZmqOptions {
  return sectionOf(config, "zmq") as ZmqOptions;
}

/**
 * Applies the options every ZeroMQ socket of ours shares, and `zmq.max_message_bytes`
 * to the sockets that bind. `zmq.linger_ms` applies to
 * sending sockets; a receiving socket (`role` "receive") has nothing of ours to flush
 * and lingers 0, so a subscriber's process exits at once.
 */
export function applySocketOptions(socket: zmq.Socket, options: ZmqOptions, role: "send" | "receive" | "subscribe"): void {
  socket.linger = role === "send" ? options.linger_ms : 0;
  // The sockets that bind take messages from any peer (the inbox its workers' events, a
  // publisher its subscribers' subscriptions): a larger one drops that peer. Not a SUB
  // socket: libzmq does not reconnect after dropping a connection for a message too
  // large, and the subscriber would hear nothing more from that publisher.
  if (role !== "subscribe") socket.maxMessageSize = options.max_message_bytes === 0 ? -1 : options.max_message_bytes;
  socket.reconnectInterval = options.reconnect_interval_ms;
  if (options.heartbeat_interval_ms > 0) {
    socket.heartbeatInterval = options.heartbeat_interval_ms;
    socket.heartbeatTimeout = options.heartbeat_timeout_ms;
    socket.heartbeatTimeToLive = options.heartbeat_timeout_ms;
  }
}
