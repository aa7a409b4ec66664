import type { DriverContext, PubSubApi, PubSubConfig } from "../../contract.js";
import { createStderrLogger } from "../../logger.js";
import { etcdOptions } from "./options.js";
import { EtcdPublisher } from "./publisher.js";
import { EtcdSubscriber } from "./subscriber.js";

/**
 * The etcd driver, alias `etcd_pubsub_driver`, as Dragonflow's: pub/sub through the
 * northbound database's etcd (`remote_db_hosts`), built on etcd3 (an optional peer
 * dependency: `npm install etcd3`). A publisher PUTs each event, the shared MessagePack
 * event, on the key `/pubsub/<topic>`; subscribers watch the key of each registered
 * topic (by default on `remote_db_hosts`; a listen address is
 * `etcd://host:port[,host:port...]`). It binds nothing, so every process may publish:
 * run it with `pub_sub_use_multiproc: false` (it describes itself as a broker driver).
 *
 * Every event is a revision in etcd's history: a subscriber that reconnects resumes
 * where it stopped, and loses events only when etcd compacted them meanwhile. It gets
 * `"sync"` in both cases. Throughput is etcd's (one commit per event, or per batch with
 * `etcd.batch`).
 *
 * @example
 * ```yaml
 * pub_sub_driver: etcd_pubsub_driver
 * pub_sub_use_multiproc: false
 * remote_db_hosts: [10.0.0.7:2379, 10.0.0.8:2379, 10.0.0.9:2379]
 * ```
 */
export default function createEtcdDriver(config: PubSubConfig, context?: Partial<DriverContext>): PubSubApi {
  const options = etcdOptions(config);
  const logger = context?.logger ?? createStderrLogger();
  return {
    getPublisher: () => new EtcdPublisher(options, logger),
    getSubscriber: () => new EtcdSubscriber(options, { logger }),
    description: {
      topology: "broker",
      address: options.address,
      listenAddresses: [options.address],
      linger: { option: "etcd.linger_ms", ms: options.lingerMs },
    },
  };
}
