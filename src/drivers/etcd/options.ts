import { publisherQueueSize } from "../../agents/publisher-base.js";
import type { PubSubConfig, PubSubOptions } from "../../contract.js";
import { ConfigError, TransportError } from "../../errors.js";
import { sectionOf } from "../section.js";
import { etcdAccess, type EtcdAccess } from "./access.js";

type EtcdSection = Required<NonNullable<PubSubOptions["etcd"]>>;

/** Dragonflow's `PUBSUB_DB_PREFIX` and separator: topic `D` is the key `/pubsub/D`. */
export const KEY_PREFIX = Buffer.from("/pubsub/", "utf8");

/** The scheme of this driver's listen addresses: `etcd://host:port[,host:port...]`, one cluster each. */
const SCHEME = "etcd://";

/** What the etcd publisher and subscriber need, read once from the config. */
export interface EtcdDriverOptions {
  /** `remote_db_hosts`: the cluster publishers put to, `host:port` each. */
  readonly hosts: readonly string[];
  /** `nb_db_timeout_ms`: the time limit of the first connection and of every request. */
  readonly timeoutMs: number;
  /** `etcd.reconnect_interval_ms`: the pause between two attempts while etcd cannot be reached. */
  readonly reconnectIntervalMs: number;
  /** `etcd.linger_ms`: how long a publisher's `close()` waits for etcd to take the queued events. */
  readonly lingerMs: number;
  /** `publisher_queue_size`: see `PublisherAgentOptions.queueSize`. */
  readonly queueSize: number;
  /** `etcd.batch_max_bytes` when `etcd.batch` is on, else 0: the batched wire mode of the publisher base. */
  readonly batchMaxBytes: number;
  /** The listen address of `remote_db_hosts`: `etcd://h1:p1,h2:p2`. */
  readonly address: string;
  /** `etcd.username`, `etcd.password`, `etcd.tls`: how clients reach the cluster. */
  readonly access: EtcdAccess;
}

/**
 * Reads `remote_db_hosts`, `nb_db_timeout_ms` and the `etcd` section (every option with
 * a default, checked by the schema; the user and TLS by {@link etcdAccess}).
 *
 * @throws {@link ConfigError} naming the option, what is wrong and the value.
 */
export function etcdOptions(config: PubSubConfig): EtcdDriverOptions {
  const section = sectionOf(config, "etcd") as EtcdSection;
  const hosts = [...config.remote_db_hosts];
  for (const host of hosts) checkHost(host, "remote_db_hosts", ConfigError);
  return {
    hosts,
    timeoutMs: config.nb_db_timeout_ms,
    reconnectIntervalMs: section.reconnect_interval_ms,
    lingerMs: section.linger_ms,
    batchMaxBytes: section.batch ? section.batch_max_bytes : 0,
    queueSize: publisherQueueSize(config),
    address: SCHEME + hosts.join(","),
    access: etcdAccess(config),
  };
}

/**
 * The hosts of a listen address: `etcd://host:port`, or several members of one cluster
 * separated by commas (`etcd://10.0.0.7:2379,10.0.0.8:2379`).
 *
 * @throws {@link TransportError} naming the `publishers` option and the form expected.
 */
export function hostsOf(address: string): string[] {
  if (!address.startsWith(SCHEME)) {
    throw new TransportError(`publishers: ${address} is not an etcd address; write etcd://host:port[,host:port...]`, {
      option: "publishers",
    });
  }
  const hosts = address
    .slice(SCHEME.length)
    .split(",")
    .map((host) => host.trim())
    .filter((host) => host !== "");
  if (hosts.length === 0)
    throw new TransportError(`publishers: ${address} names no etcd host; write etcd://host:port`, { option: "publishers" });
  for (const host of hosts) checkHost(host, "publishers", TransportError);
  return hosts;
}

/** The key of a topic frame: `/pubsub/` then the topic's bytes. */
export function keyOf(topic: Uint8Array): Buffer {
  return Buffer.concat([KEY_PREFIX, topic]);
}

function checkHost(host: string, option: string, Failure: typeof ConfigError | typeof TransportError): void {
  if (!/^[^\s:/,]+:[0-9]{1,5}$/.test(host) || Number(host.slice(host.lastIndexOf(":") + 1)) > 65_535) {
    throw new Failure(`${option}: ${host} is not host:port (e.g. 127.0.0.1:2379)`, { option });
  }
}
