import { connect } from "node:net";

/** How long to wait between two probes of a closing listener. */
const PROBE_INTERVAL_MS = 5;

/**
 * Resolves once nothing listens on a `tcp://host:port` endpoint any more, or after
 * `limitMs`. libzmq closes a listener in its I/O thread some time after `close()`
 * returns; waiting for the port to refuse connections lets a process close a publisher
 * and bind a new one to the same port at once. Other transports resolve at once.
 */
export async function tcpReleased(endpoint: string, limitMs: number): Promise<void> {
  const target = probeTarget(endpoint);
  if (target === undefined) return;
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline && (await listening(target.host, target.port))) {
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
}

function probeTarget(endpoint: string): { host: string; port: number } | undefined {
  const match = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  if (match === null) return undefined;
  const [, rawHost = "", port = ""] = match;
  const host = rawHost.replace(/^\[(.*)\]$/, "$1");
  const local = host === "*" || host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return { host: local, port: Number(port) };
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
