import type { SubscriberAgentOptions } from "../../agents/subscriber-base.js";
import { BrokerSubscriberBase, type BrokerConnection, type BrokerLink } from "../broker/subscriber.js";
import type { NatsConnection, Subscription } from "./client.js";
import { connectNats, flushed } from "./connect.js";
import { serversOf, type NatsDriverOptions } from "./options.js";
import { checkSubject } from "./subject.js";

/**
 * The NATS subscriber: one connection per listen address (a NATS URL, or several of one
 * cluster separated by commas), with one subscription per registered topic on the
 * subject of that name (exact: topics with wildcards are refused when registered).
 * nats.js subscribes again after a reconnection; once the server answered a ping, so
 * it has those subscriptions, the callback gets `"sync"`.
 */
export class NatsSubscriber extends BrokerSubscriberBase {
  readonly #options: NatsDriverOptions;

  constructor(options: NatsDriverOptions, agentOptions: SubscriberAgentOptions = {}) {
    super(agentOptions, { maxBytes: options.section.max_message_bytes, option: "nats.max_message_bytes" });
    this.#options = options;
  }

  protected override checkTopic(topic: string): void {
    checkSubject(topic);
  }

  protected async connect(uri: string, link: BrokerLink): Promise<BrokerConnection> {
    let restore = (): void => undefined;
    const nc = await connectNats(serversOf(uri), this.#options, "publishers", link.logger, {
      reconnected: () => restore(),
    });
    const connection = new NatsSubscription(nc, link);
    restore = () => connection.restore();
    return connection;
  }
}

/** One subscribed connection. */
class NatsSubscription implements BrokerConnection {
  readonly #connection: NatsConnection;
  readonly #link: BrokerLink;
  readonly #subscriptions = new Map<string, Subscription>();

  constructor(connection: NatsConnection, link: BrokerLink) {
    this.#connection = connection;
    this.#link = link;
  }

  async subscribeAll(topics: readonly string[]): Promise<void> {
    for (const topic of topics) this.#add(topic);
    await flushed(this.#connection);
  }

  async subscribe(topic: string): Promise<void> {
    if (this.#add(topic)) await flushed(this.#connection);
  }

  async unsubscribe(topic: string): Promise<void> {
    const subscription = this.#subscriptions.get(topic);
    if (subscription === undefined) return;
    this.#subscriptions.delete(topic);
    subscription.unsubscribe();
    await flushed(this.#connection);
  }

  async close(): Promise<void> {
    if (!this.#connection.isClosed()) await this.#connection.close();
  }

  /** After a reconnection: once the server has the subscriptions nats.js sent again, say "sync". */
  restore(): void {
    flushed(this.#connection).then(
      (outcome) => {
        if (outcome === "flushed") this.#link.restored();
      },
      (err: unknown) => {
        if (!this.#connection.isClosed())
          this.#link.logger.error({ err }, "no answer from the NATS server after a reconnection; waiting for the next one");
      },
    );
  }

  #add(topic: string): boolean {
    if (this.#subscriptions.has(topic)) return false;
    const subscription = this.#connection.subscribe(topic, {
      callback: (err, message) => {
        if (err === null) this.#link.message(message.subject, message.data);
        else this.#link.logger.error({ err, topic }, "a NATS subscription failed");
      },
    });
    this.#subscriptions.set(topic, subscription);
    return true;
  }
}
