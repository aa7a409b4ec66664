import type { SubscriberAgentOptions } from "../../agents/subscriber-base.js";
import { BrokerSubscriberBase, type BrokerConnection, type BrokerLink } from "../broker/subscriber.js";
import { connectEtcd } from "./connect.js";
import { hostsOf, type EtcdDriverOptions } from "./options.js";
import { EtcdWatches } from "./watch.js";

/**
 * The etcd subscriber, as Dragonflow's `EtcdSubscriberAgent`: for each listen address
 * (`etcd://host:port[,host:port...]`, one cluster; by default `remote_db_hosts`) one
 * client and one watch stream, with a watch on the key `/pubsub/<topic>` of every
 * registered topic (an exact match). Each PUT on a watched key is one event.
 *
 * A lost stream is opened again every `etcd.reconnect_interval_ms`; every watch
 * resumes from the revision after the last one it saw, so events put meanwhile still
 * arrive, in order, after the callback got `"sync"`. When etcd compacted that revision
 * away, the events are lost: the watch starts again from now and the callback gets
 * another `"sync"`.
 */
export class EtcdSubscriber extends BrokerSubscriberBase {
  readonly #options: EtcdDriverOptions;

  constructor(options: EtcdDriverOptions, agentOptions: SubscriberAgentOptions = {}) {
    super(agentOptions);
    this.#options = options;
  }

  protected async connect(uri: string, link: BrokerLink): Promise<BrokerConnection> {
    const client = await connectEtcd(hostsOf(uri), this.#options, "publishers", link.logger);
    let closed = false;
    const watches = new EtcdWatches(
      client,
      {
        put: (topic, value) => link.message(topic, value),
        restored: () => link.restored(),
        compacted: () => {
          if (!closed && this.isRunning) this.dispatchSync();
        },
        logger: link.logger,
      },
      this.#options.reconnectIntervalMs,
    );
    try {
      await watches.open();
    } catch (err: unknown) {
      await watches.close();
      throw err;
    }
    return {
      subscribe: (topic) => watches.subscribe(topic),
      unsubscribe: (topic) => watches.unsubscribe(topic),
      subscribeAll: (topics) => watches.subscribeAll(topics),
      close: () => {
        closed = true;
        return watches.close();
      },
    };
  }
}
