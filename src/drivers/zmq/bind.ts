import type * as zmq from "zeromq";
import { TransportError, errorMessages, isErrnoException } from "../../errors.js";

/**
 * Binds `socket` to `endpoint`, turning libzmq's errors into one line that names the
 * endpoint, the option at fault and the fix: `option` chose the endpoint (the port, or
 * the socket path), `addressOption` its local address, named when that address is not
 * one of this host's.
 *
 * @throws {@link TransportError} when the endpoint cannot be bound.
 */
export async function bindExplained(socket: zmq.Socket, endpoint: string, option: string, addressOption = option): Promise<void> {
  try {
    await socket.bind(endpoint);
  } catch (err: unknown) {
    const code = isErrnoException(err) ? err.code : undefined;
    const culprit = code === "EADDRNOTAVAIL" || code === "ENODEV" ? addressOption : option;
    throw new TransportError(errorMessages.cannotBind(culprit, endpoint, explain(code, err, culprit)), { cause: err, option: culprit });
  }
}

function explain(code: string | undefined, err: unknown, option: string): string {
  switch (code) {
    case "EADDRINUSE":
      return `address already in use; stop the process that holds it (another publisher service?) or choose another with --set ${option}=...`;
    case "EADDRNOTAVAIL":
    case "ENODEV":
      return `no such local address; use an address of this host, or * for every address, with --set ${option}=...`;
    case "EACCES":
    case "EPERM":
      return `permission denied; choose a port above 1023 or a writable path with --set ${option}=...`;
    case "ENAMETOOLONG":
      return "the socket path is too long (Unix sockets allow about 107 bytes); choose a shorter path";
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
