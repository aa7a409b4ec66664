import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokerDriverOf } from "./brokers.js";
import type { PubSubOptions } from "./config.js";

/**
 * The default multiproc socket: `$XDG_RUNTIME_DIR/pubsub/publisher.sock` where the
 * session has a runtime directory, else `<tmpdir>/pubsub-<uid>/publisher.sock`, so two
 * users on one host never share a socket.
 */
export function defaultMultiprocSocket(env: NodeJS.ProcessEnv): string {
  const runtimeDir = env["XDG_RUNTIME_DIR"];
  if (runtimeDir !== undefined && runtimeDir !== "") return join(runtimeDir, "pubsub", "publisher.sock");
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  return join(tmpdir(), `pubsub-${uid}`, "publisher.sock");
}

const ALL_ADDRESSES = new Set(["*", "0.0.0.0", "::", "[::]"]);

/**
 * The default publishers a subscriber connects to: the local network publisher, at its
 * bind address when that is a specific one, else at 127.0.0.1. For `ipc` the bind
 * address is the socket path and the port does not apply. With a broker driver (Redis,
 * NATS) a subscriber receives from the broker: its address, from the driver's section.
 */
export function defaultPublishers(
  options: Required<Pick<PubSubOptions, "publisher_transport" | "publisher_bind_address" | "publisher_port">> &
    Pick<PubSubOptions, "pub_sub_driver" | "drivers" | "redis" | "nats">,
): string[] {
  const broker = brokerDriverOf(options);
  if (broker !== undefined) return [broker.address(options)];
  const bind = options.publisher_bind_address;
  if (options.publisher_transport === "ipc") return [`ipc://${bind}`];
  const host = ALL_ADDRESSES.has(bind) ? "127.0.0.1" : bind;
  return [`${options.publisher_transport}://${host}:${options.publisher_port}`];
}
