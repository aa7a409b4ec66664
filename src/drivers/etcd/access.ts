import type { PubSubConfig, PubSubOptions } from "../../contract.js";
import { ConfigError } from "../../errors.js";
import { tlsOptions } from "../broker/tls.js";
import { sectionOf } from "../section.js";
import type { IOptions } from "./client.js";

type EtcdSection = NonNullable<PubSubOptions["etcd"]>;

/**
 * How a client reaches etcd, from the `etcd` section: over TLS or not, with a user or
 * not. The etcd pub/sub driver and the etcd database driver share it: they talk to the
 * same cluster (`remote_db_hosts`).
 */
export interface EtcdAccess {
  /** `https` when `etcd.tls` is set, else `http`. */
  readonly scheme: "http" | "https";
  /** `etcd.username` and `etcd.password`, when set. */
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  /** `etcd.tls`'s files, read now. */
  readonly credentials: IOptions["credentials"] | undefined;
  /** `etcd.tls.servername`: the name the members' certificates are verified against. */
  readonly servername: string | undefined;
}

/**
 * Reads `etcd.username`, `etcd.password` and `etcd.tls` (the files are read now, so a
 * missing one fails when the driver loads, not at the first connection).
 *
 * @throws {@link ConfigError} naming the option and the fix: a user without a password,
 *   a client certificate without its key.
 * @throws {@link TransportError} naming the option and the file when it cannot be read.
 */
export function etcdAccess(config: PubSubConfig): EtcdAccess {
  const section = sectionOf(config, "etcd") as EtcdSection;
  const { username, password, tls } = section;
  if ((username === undefined) !== (password === undefined)) {
    const [set, unset] = username === undefined ? ["etcd.password", "etcd.username"] : ["etcd.username", "etcd.password"];
    throw new ConfigError(`${unset}: missing while ${set} is set; etcd's authentication needs both, or neither`, { option: unset });
  }
  if (tls !== undefined && (tls.cert_file === undefined) !== (tls.key_file === undefined)) {
    const unset = tls.cert_file === undefined ? "etcd.tls.cert_file" : "etcd.tls.key_file";
    throw new ConfigError(`${unset}: missing; a client certificate needs both etcd.tls.cert_file and etcd.tls.key_file`, { option: unset });
  }
  let credentials: IOptions["credentials"];
  if (tls !== undefined) {
    const files = tlsOptions(tls, "etcd.tls");
    credentials = {
      // Without a CA file, gRPC trusts the system's certificate authorities.
      rootCertificate: files.ca as Buffer,
      ...(files.cert === undefined ? {} : { certChain: files.cert as Buffer }),
      ...(files.key === undefined ? {} : { privateKey: files.key as Buffer }),
    };
  }
  return {
    scheme: tls === undefined ? "http" : "https",
    auth: username === undefined || password === undefined ? undefined : { username, password },
    credentials,
    servername: tls?.servername,
  };
}

/** How an error about connecting names the options of {@link EtcdAccess}. */
export const ETCD_CREDENTIALS = "credentials (etcd.username, etcd.password, etcd.tls)";

/**
 * The client options of {@link EtcdAccess}: the members' URLs, the user, the TLS files,
 * and `grpcOptions` with the server name to verify, when one is set.
 */
export function accessOptions(
  access: EtcdAccess,
  hosts: readonly string[],
  grpcOptions: NonNullable<IOptions["grpcOptions"]> = {},
): Pick<IOptions, "hosts" | "auth" | "credentials" | "grpcOptions"> {
  const name = access.servername;
  return {
    hosts: hosts.map((host) => `${access.scheme}://${host}`),
    ...(access.auth === undefined ? {} : { auth: { ...access.auth } }),
    ...(access.credentials === undefined ? {} : { credentials: access.credentials }),
    grpcOptions:
      name === undefined ? grpcOptions : { ...grpcOptions, "grpc.ssl_target_name_override": name, "grpc.default_authority": name },
  };
}
