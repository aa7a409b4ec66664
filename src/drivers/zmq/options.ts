import type * as zmq from "zeromq";
import type { PubSubConfig } from "../../loader/config.js";

/** The `zmq` section of the config, every option filled in by the schema's defaults. */
export type ZmqOptions = Required<NonNullable<PubSubConfig["zmq"]>>;

/** Reads the `zmq` section; the loader has already validated it and filled its defaults. */
export function zmqOptions(config: PubSubConfig): ZmqOptions {
  return {
    send_high_water_mark: 1_000_000,
    receive_high_water_mark: 1_000_000,
    linger_ms: 5_000,
    reconnect_interval_ms: 100,
    heartbeat_interval_ms: 2_000,
    heartbeat_timeout_ms: 6_000,
    ...config.zmq,
  };
}

/** Applies the options every ZeroMQ socket of ours shares. */
export function applySocketOptions(socket: zmq.Socket, options: ZmqOptions): void {
  socket.linger = options.linger_ms;
  socket.reconnectInterval = options.reconnect_interval_ms;
  if (options.heartbeat_interval_ms > 0) {
    socket.heartbeatInterval = options.heartbeat_interval_ms;
    socket.heartbeatTimeout = options.heartbeat_timeout_ms;
    socket.heartbeatTimeToLive = options.heartbeat_timeout_ms;
  }
}
