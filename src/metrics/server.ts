import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { errorMessages, isErrnoException, reasonOf, TransportError } from "../errors.js";
import type { Logger } from "../contract.js";
import { formatListenAddress, type ListenAddress } from "./listen.js";

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** Where to listen. */
  listen: ListenAddress;
  /** What `/metrics` serves, collected on each scrape. */
  registry: Registry;
  /** What `/readyz` asks: 200 while it returns true, else 503. */
  ready: () => boolean;
  /** The option (or flag) that chose the address, named when it cannot be bound: `--metrics`, `pubsub.config.yaml: metrics_listen`. */
  option: string;
  /** Where a failed scrape is logged. */
  logger: Logger;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** The address bound, `host:port` (the port the system chose when 0 was asked). */
  readonly address: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/**
 * Serves, over HTTP on one listener: `/metrics` (the registry, Prometheus' text
 * format), `/healthz` (200 while the process runs) and `/readyz` (200 once `ready()`,
 * else 503); 404 elsewhere, 405 for a method other than GET or HEAD.
 *
 * @throws {@link TransportError} naming `option` when the address cannot be bound.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((request, response) => void respond(request, response, options));
  const where = `http://${formatListenAddress(options.listen)}`;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: unknown) => reject(bindError(err, options.option, where)));
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: formatListenAddress({ host: bound.address, port: bound.port }),
    close: () => closeServer(server),
  };
}

async function respond(request: IncomingMessage, response: ServerResponse, options: MetricsServerOptions): Promise<void> {
  const [status, body, contentType] = await answer(request, options);
  response.writeHead(status, { "content-type": contentType ?? "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
  response.end(request.method === "HEAD" ? undefined : body);
}

/** The status, body and content type of the answer to `request`. */
async function answer(request: IncomingMessage, options: MetricsServerOptions): Promise<[number, string, string?]> {
  const path = (request.url ?? "/").split("?")[0];
  if (request.method !== "GET" && request.method !== "HEAD") return [405, "method not allowed; use GET\n"];
  if (path === "/healthz") return [200, "ok\n"];
  if (path === "/readyz") return options.ready() ? [200, "ready\n"] : [503, "not ready\n"];
  if (path !== "/metrics") return [404, "not found; try /metrics, /healthz or /readyz\n"];
  try {
    return [200, await options.registry.metrics(), options.registry.contentType];
  } catch (err: unknown) {
    options.logger.error({ err }, "collecting metrics failed");
    return [500, `collecting metrics failed: ${reasonOf(err)}\n`];
  }
}

function bindError(err: unknown, option: string, where: string): TransportError {
  const code = isErrnoException(err) ? err.code : undefined;
  const fix =
    code === "EADDRINUSE"
      ? `address already in use; stop the process that holds it or choose another port for ${option}`
      : code === "EADDRNOTAVAIL" || code === "ENOTFOUND"
        ? `no such local address; use an address of this host (127.0.0.1, 0.0.0.0) in ${option}`
        : code === "EACCES"
          ? `permission denied; choose a port above 1023 for ${option}`
          : reasonOf(err);
  return new TransportError(errorMessages.cannotBind(option, where, fix), { cause: err });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
