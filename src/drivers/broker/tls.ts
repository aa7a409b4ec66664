import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { TransportError } from "../../errors.js";

/** The `tls` part of a broker driver's config section. */
export interface TlsSection {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  servername?: string;
  reject_unauthorized?: boolean;
}

/**
 * Node's TLS options from a config section's `tls`, the files read now, so a missing
 * or unreadable one fails when the driver loads rather than at the first connection.
 *
 * @param option - the section's path (`redis.tls`), named in errors.
 * @throws {@link TransportError} naming the file and the option.
 */
export function tlsOptions(section: TlsSection, option: string): ConnectionOptions {
  const read = (key: "ca_file" | "cert_file" | "key_file"): Buffer | undefined => {
    const file = section[key];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err: unknown) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new TransportError(`${option}.${key}: cannot read ${file} (${reason}); fix the path`, { cause: err });
    }
  };
  const options: ConnectionOptions = { rejectUnauthorized: section.reject_unauthorized ?? true };
  const ca = read("ca_file");
  const cert = read("cert_file");
  const key = read("key_file");
  if (ca !== undefined) options.ca = ca;
  if (cert !== undefined) options.cert = cert;
  if (key !== undefined) options.key = key;
  if (section.servername !== undefined) options.servername = section.servername;
  return options;
}
