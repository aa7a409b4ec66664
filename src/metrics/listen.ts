/** Where the metrics listener binds: `metrics_listen` or `--metrics`, parsed. */
export interface ListenAddress {
  /** Host name or address, without brackets (`127.0.0.1`, `::1`, `localhost`, `0.0.0.0`). */
  readonly host: string;
  /** TCP port, 1 to 65535. */
  readonly port: number;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):([0-9]{1,5})$/;

/**
 * Parses `HOST:PORT` (`127.0.0.1:9464`, `localhost:9464`, `[::1]:9464`). Returns the
 * address, or what is wrong with `text` as a phrase to follow the option's name.
 *
 * @example
 * ```ts
 * parseListenAddress("127.0.0.1:9464"); // { host: "127.0.0.1", port: 9464 }
 * parseListenAddress("9464"); // "must be HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464 (got \"9464\")"
 * ```
 */
export function parseListenAddress(text: string): ListenAddress | string {
  const match = HOST_PORT.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined) return `must be HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464 (got ${JSON.stringify(text)})`;
  if (port < 1 || port > 65535) return `port must be 1 to 65535 (got ${JSON.stringify(text)})`;
  return { host, port };
}

/** `host:port` as a URL's authority: an IPv6 address in brackets. */
export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
