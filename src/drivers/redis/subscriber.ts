import type { SubscriberAgentOptions } from "../../agents/subscriber-base.js";
import { BrokerSubscriberBase, type BrokerConnection, type BrokerLink } from "../broker/subscriber.js";
import type { RedisClient } from "./client.js";
import { closeRedis, connectRedis } from "./connect.js";
import { type RedisDriverOptions } from "./options.js";

/**
 * The Redis subscriber: one connection per listen address (a `redis://` or `rediss://`
 * URL), subscribed (SUBSCRIBE, an exact match) to `redis.channel_prefix + topic` for
 * every registered topic. When a lost connection comes back it subscribes again, and
 * once the server confirmed, the callback gets `"sync"`.
 */
export class RedisSubscriber extends BrokerSubscriberBase {
  readonly #options: RedisDriverOptions;

  constructor(options: RedisDriverOptions, agentOptions: SubscriberAgentOptions = {}) {
    super(agentOptions, { maxBytes: options.section.max_message_bytes, option: "redis.max_message_bytes" });
    this.#options = options;
  }

  protected async connect(uri: string, link: BrokerLink): Promise<BrokerConnection> {
    const client = await connectRedis(uri, this.#options, "publishers", link.logger);
    return new RedisConnection(client, this.#options, link);
  }
}

/** One subscribed connection. */
class RedisConnection implements BrokerConnection {
  readonly #client: RedisClient;
  readonly #prefix: Buffer;
  readonly #closeTimeoutMs: number;
  readonly #link: BrokerLink;
  readonly #topics = new Set<string>();
  #closed = false;

  constructor(client: RedisClient, options: RedisDriverOptions, link: BrokerLink) {
    const prefix = options.prefix;
    this.#client = client;
    this.#prefix = prefix;
    this.#closeTimeoutMs = options.section.connect_timeout_ms;
    this.#link = link;
    client.on("messageBuffer", (channel: Buffer, message: Buffer) => link.message(channel.subarray(prefix.length), message));
    // connectRedis resolved on the first "ready": every later one is a reconnection.
    client.on("ready", () => void this.#restore());
  }

  async subscribeAll(topics: readonly string[]): Promise<void> {
    for (const topic of topics) this.#topics.add(topic);
    if (topics.length > 0) await this.#client.subscribe(...topics.map((topic) => this.#channel(topic)));
  }

  async subscribe(topic: string): Promise<void> {
    if (this.#topics.has(topic)) return;
    this.#topics.add(topic);
    await this.#client.subscribe(this.#channel(topic));
  }

  async unsubscribe(topic: string): Promise<void> {
    if (!this.#topics.delete(topic)) return;
    await this.#client.unsubscribe(this.#channel(topic));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await closeRedis(this.#client, this.#closeTimeoutMs);
  }

  async #restore(): Promise<void> {
    try {
      const channels = [...this.#topics].map((topic) => this.#channel(topic));
      if (channels.length > 0) await this.#client.subscribe(...channels);
    } catch (err: unknown) {
      if (!this.#closed) this.#link.logger.error({ err }, "cannot subscribe again after a reconnection; waiting for the next one");
      return;
    }
    if (!this.#closed) this.#link.restored();
  }

  #channel(topic: string): Buffer {
    return Buffer.concat([this.#prefix, Buffer.from(topic, "utf8")]);
  }
}
