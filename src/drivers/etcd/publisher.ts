import { PublisherAgentBase } from "../../agents/publisher-base.js";
import type { Logger } from "../../contract.js";
import { StateError } from "../../errors.js";
import type { Etcd3 } from "./client.js";
import { connectEtcd, retrying } from "./connect.js";
import { keyOf, type EtcdDriverOptions } from "./options.js";

/**
 * The etcd publisher, as Dragonflow's `EtcdPublisherAgent`: one client of
 * `remote_db_hosts`; each event is a PUT of the MessagePack event on the key
 * `/pubsub/<topic>`, a new revision of that key in etcd's history.
 *
 * A write returns once etcd committed the PUT, one at a time: concurrent PUTs could be
 * committed out of order, and a subscriber sees a key's revisions in commit order. So
 * `sendEvent` resolves once the event is in etcd, and no event it accepted can be lost
 * afterwards by this publisher (it counts no `lost`). While etcd cannot be reached, a
 * PUT is tried again every `etcd.reconnect_interval_ms`, each attempt bounded by
 * `nb_db_timeout_ms`; a PUT that failed after etcd applied it lands twice, and
 * subscribers of this project drop the second by its sequence number. `close()` waits
 * `etcd.linger_ms` in all for the queue to drain; events still queued then are rejected.
 */
export class EtcdPublisher extends PublisherAgentBase {
  readonly #options: EtcdDriverOptions;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  #client: Etcd3 | undefined;
  #down = false;

  constructor(options: EtcdDriverOptions, logger: Logger) {
    super({
      lingerMs: options.lingerMs,
      lingerOption: "etcd.linger_ms",
      batchMaxBytes: options.batchMaxBytes,
      queueSize: options.queueSize,
    });
    this.#options = options;
    this.#logger = logger;
  }

  protected async open(): Promise<void> {
    this.#client = await connectEtcd(this.#options.hosts, this.#options, "remote_db_hosts", this.#logger);
  }

  protected async write(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const client = this.#client;
    if (client === undefined) throw new StateError("write(): the etcd publisher is not connected");
    const request = { key: keyOf(topic), value: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength) };
    await retrying(() => client.kv.put(request), {
      intervalMs: this.#options.reconnectIntervalMs,
      signal: this.#stop.signal,
      failed: (err) => {
        if (this.#down) return;
        this.#down = true;
        this.#logger.warn(
          { err, hosts: this.#options.hosts, retryMs: this.#options.reconnectIntervalMs },
          "etcd did not take an event; trying again until it does (events wait in order)",
        );
      },
    });
    if (this.#down) {
      this.#down = false;
      this.#logger.info({ hosts: this.#options.hosts }, "etcd takes events again");
    }
  }

  protected release(): Promise<void> {
    // The queue drained, or etcd.linger_ms ran out: a PUT still being tried fails now.
    this.#stop.abort(new Error("the publisher closed while etcd had not taken the event"));
    this.#client?.close();
    return Promise.resolve();
  }
}
