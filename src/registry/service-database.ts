import type { Logger, NbDbApi, PubSubConfig, PubSubEvent } from "../contract.js";
import { publisherUuid } from "./publisher-id.js";
import { PUBLISHER_TABLE } from "./publisher-row.js";
import { PublisherRegistration } from "./publisher-registration.js";
import { removeStalePublishers } from "./stale-publishers.js";
import { TableMonitor } from "./table-monitor.js";

/**
 * The database side of the publisher service, as Dragonflow's: the service's row in the
 * `publisher` table, and one {@link TableMonitor} per `monitor_tables` entry publishing
 * through the service's network publisher (the `publisher` table's also removes stale
 * publishers).
 */
export class ServiceDatabase {
  readonly #db: NbDbApi;
  readonly #registration: PublisherRegistration;
  readonly #monitors: TableMonitor[];
  /** This service's id in the `publisher` table. */
  readonly id: string;

  /**
   * @param uri - where subscribers reach this service: {@link registeredUri}.
   * @param publish - sends one event with the service's network publisher.
   */
  constructor(db: NbDbApi, config: PubSubConfig, uri: string, publish: (event: PubSubEvent) => Promise<void>, logger: Logger) {
    this.#db = db;
    this.id = publisherUuid(config.publisher_port);
    const timeoutMs = config.publisher_timeout * 1000;
    this.#registration = new PublisherRegistration(db, {
      id: this.id,
      uri,
      refreshMs: (config.publisher_rate_limit_timeout * 1000) / config.publisher_rate_limit_count,
      logger,
    });
    const pollMs = config.monitor_table_poll_time * 1000;
    this.#monitors = config.monitor_tables.map(
      (table) =>
        new TableMonitor(db, table, publish, {
          pollMs,
          logger,
          ...(table === PUBLISHER_TABLE
            ? {
                beforePoll: async () => {
                  await removeStalePublishers(db, this.id, timeoutMs, logger);
                },
              }
            : {}),
        }),
    );
  }

  /** Connects, registers this service, starts the monitors. Rejects when the database cannot be used. */
  async start(): Promise<void> {
    await this.#db.initialize();
    await this.#registration.start();
    await Promise.all(this.#monitors.map((monitor) => monitor.start()));
  }

  /** Stops the monitors, removes this service's row, closes the connection. */
  async stop(): Promise<void> {
    await Promise.all(this.#monitors.map((monitor) => monitor.stop()));
    await this.#registration.stop();
    await this.#db.close();
  }
}

/**
 * The `uri` a publisher service registers, as Dragonflow's: `<publisher_transport>://
 * <ip>:<publisher_port>`, where ip is `publisher_bind_address`, or `management_ip` when
 * that is `*` or `127.0.0.1`.
 */
export function registeredUri(config: PubSubConfig): string {
  const bind = config.publisher_bind_address;
  const ip = bind === "*" || bind === "127.0.0.1" ? config.management_ip : bind;
  const host = ip.includes(":") && !ip.startsWith("[") ? `[${ip}]` : ip;
  return `${config.publisher_transport}://${host}:${config.publisher_port}`;
}
