import { ConfigError } from "../errors.js";
import type { ResolvedConfig } from "../loader/resolve-config.js";
import { findOnPath, startPrivateEtcd } from "./demo-etcd.js";

/** The database the discovery demo's services register in. */
export interface DemoDatabase {
  /** `nb_db_class` for the scene. */
  readonly nbDbClass: string;
  /** `remote_db_hosts` for the scene. */
  readonly hosts: readonly string[];
  /** True for an etcd the demo started, false for the configured database. */
  readonly isPrivate: boolean;
  /** One line for the narrative: which database, and where it came from. */
  readonly description: string;
  /** Stops the private etcd and removes its data; nothing for a configured database. */
  close(): Promise<void>;
}

/**
 * The configured database (`nb_db_class`, `remote_db_hosts`) when there is one; else a
 * private etcd when an `etcd` binary is on `path`, so the scene is one command.
 *
 * @throws {@link ConfigError} (exit 2) when there is neither, or when `remote_db_hosts`
 * is set without `nb_db_class`; {@link DbError} when the private etcd does not start.
 */
export async function demoDatabase(resolved: ResolvedConfig, path: string = process.env["PATH"] ?? ""): Promise<DemoDatabase> {
  const { config, origins } = resolved;
  if (config.nb_db_class !== "") {
    const from = origins.get("nb_db_class") ?? "nb_db_class";
    const remote = config.remote_db_hosts.filter((host) => !isLoopbackHost(host));
    if (remote.length > 0) {
      throw new ConfigError(
        `pubsub-run demo --discovery: ${origins.get("remote_db_hosts") ?? "remote_db_hosts"}: ${remote.join(", ")} is not on this host, and the scene's services delete the rows of every publisher not refreshed for 2 s; ` +
          "point remote_db_hosts at a scratch database on 127.0.0.1, or leave nb_db_class unset for a private etcd",
        { option: "remote_db_hosts" },
      );
    }
    return {
      nbDbClass: config.nb_db_class,
      hosts: config.remote_db_hosts,
      isPrivate: false,
      description: `${config.nb_db_class} at ${config.remote_db_hosts.join(", ")} (from ${from})`,
      close: () => Promise.resolve(),
    };
  }
  const hostsOrigin = origins.get("remote_db_hosts");
  if (hostsOrigin !== undefined) {
    throw new ConfigError(
      `pubsub-run demo --discovery: ${hostsOrigin}: remote_db_hosts is set but nb_db_class is not; set nb_db_class too (etcd_nb_db_driver or redis_nb_db_driver)`,
      { option: "nb_db_class" },
    );
  }
  const binary = findOnPath("etcd", path);
  if (binary === undefined) {
    throw new ConfigError(
      "pubsub-run demo --discovery: nb_db_class: no database is configured and no etcd is on PATH to start a private one; " +
        "set nb_db_class and remote_db_hosts (--set nb_db_class=etcd_nb_db_driver --set remote_db_hosts=127.0.0.1:2379), " +
        "or install etcd (Debian: apt-get install etcd-server)",
      { option: "nb_db_class" },
    );
  }
  const etcd = await startPrivateEtcd(binary);
  return {
    nbDbClass: "etcd_nb_db_driver",
    hosts: [etcd.host],
    isPrivate: true,
    description: `a private etcd on ${etcd.host} (${binary}, data in ${etcd.dataDir}, removed at the end)`,
    close: () => etcd.close(),
  };
}

/** True for `host:port` on this host's loopback (127.0.0.0/8, `localhost`, `[::1]`). */
function isLoopbackHost(hostPort: string): boolean {
  const host = hostPort.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
