import { createHash } from "node:crypto";
import { hostname } from "node:os";

/** RFC 4122's namespace for DNS names, as Python's `uuid.NAMESPACE_DNS`. */
const NAMESPACE_DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

/**
 * A name-based (SHA-1, version 5) UUID, as Python's `uuid.uuid5(namespace, name)`.
 *
 * @example
 * ```ts
 * uuid5("python.org"); // "886313e1-3b8a-5372-9b90-0c9aee199e5d"
 * ```
 */
export function uuid5(name: string, namespace: string = NAMESPACE_DNS): string {
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest();
  hash.writeUInt8(((hash[6] ?? 0) & 0x0f) | 0x50, 6);
  hash.writeUInt8(((hash[8] ?? 0) & 0x3f) | 0x80, 8);
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The publisher service's id in the `publisher` table: the same across restarts, as
 * Dragonflow's `generate_publisher_uuid()` (uuid5 of `<process name>.<host name>`). The
 * process name carries the port, `pubsub-publisher-service-<publisher_port>`, so that
 * two services on one host (each on its own port) keep distinct rows.
 */
export function publisherUuid(port: number, host: string = hostname()): string {
  return uuid5(`pubsub-publisher-service-${port}.${host}`);
}
