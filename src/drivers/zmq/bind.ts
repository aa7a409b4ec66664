import type * as zmq from "zeromq";
import { TransportError, isErrnoException } from "../../errors.js";

/**
 * Binds `socket` to `endpoint`, turning libzmq's errors into one line that names the
 * endpoint, the option that chose it and the fix.
 *
 * @throws {@link TransportError} when the endpoint cannot be bound.
 */
export async function bindExplained(socket: zmq.Socket, endpoint: string, option: string): Promise<void> {
  try {
    await socket.bind(endpoint);
  } catch (err: unknown) {
    throw new TransportError(`${option}: cannot bind ${endpoint}: ${explain(err, option)}`, { cause: err, option });
  }
}

function explain(err: unknown, option: string): string {
  const code = isErrnoException(err) ? err.code : undefined;
  switch (code) {
    case "EADDRINUSE":
      return `address already in use; stop the process that holds it (another publisher service?) or choose another with --set ${option}=...`;
    case "EADDRNOTAVAIL":
    case "ENODEV":
      return "no such local address; use an address of this host, or * for every address";
    case "EACCES":
    case "EPERM":
      return `permission denied; choose a port above 1023 or a writable path with --set ${option}=...`;
    case "ENAMETOOLONG":
      return "the socket path is too long (Unix sockets allow about 107 bytes); choose a shorter path";
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
