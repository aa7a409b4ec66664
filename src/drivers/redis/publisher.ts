import { within } from "../../agents/deadline.js";
import { PublisherAgentBase } from "../../agents/publisher-base.js";
import { StateError } from "../../errors.js";
import type { Logger } from "../../contract.js";
import type { RedisClient } from "./client.js";
import { closeRedis, connectRedis } from "./connect.js";
import { channelOf, type RedisDriverOptions } from "./options.js";

/** PUBLISH commands awaiting the server's reply before {@link RedisPublisher.write} waits for them. */
const WINDOW = 1024;

/**
 * The Redis publisher: one connection to `redis.url`; each event is a PUBLISH on the
 * channel `redis.channel_prefix + topic`, with the MessagePack event as the message.
 * Commands are pipelined: a write returns once the command is queued on the
 * connection, with at most {@link WINDOW} awaiting the server's reply, so one slow
 * round trip does not cost one event. While the connection is down, commands wait for
 * it to come back. `close()` waits `redis.linger_ms` in all for the queue to drain and
 * the server to confirm; events it gives up on are rejected or, when already handed
 * to the connection, logged.
 */
export class RedisPublisher extends PublisherAgentBase {
  readonly #options: RedisDriverOptions;
  readonly #logger: Logger;
  #client: RedisClient | undefined;
  #unconfirmed = 0;
  #latest: Promise<void> = Promise.resolve();
  #lost = 0;
  /** close() gave up on the commands still unconfirmed: counted once, there. */
  #abandoned = false;
  /** Settles when close() gives up: a write waiting for a full window returns then. */
  #giveUp: () => void = () => undefined;
  readonly #givenUp = new Promise<void>((resolve) => (this.#giveUp = resolve));

  constructor(options: RedisDriverOptions, logger: Logger) {
    super({
      lingerMs: options.section.linger_ms,
      lingerOption: "redis.linger_ms",
      queueSize: options.queueSize,
      maxMessageBytes: options.section.max_message_bytes,
      maxMessageOption: "redis.max_message_bytes",
    });
    this.#options = options;
    this.#logger = logger;
  }

  /**
   * Events accepted (their `sendEvent` resolved once handed to the connection) that the
   * server never confirmed: logged as they are counted ({@link LossCountingPublisher}).
   */
  get lost(): number {
    return this.#lost;
  }

  protected async open(): Promise<void> {
    this.#client = await connectRedis(this.#options.section.url, this.#options, "redis.url", this.#logger);
  }

  protected async write(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const client = this.#client;
    if (client === undefined) throw new StateError("write(): the Redis publisher is not connected");
    const message = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    this.#unconfirmed += 1;
    // Replies come in order: once the latest is in, every earlier one is.
    const confirmed = client.publish(channelOf(this.#options.prefix, topic), message).then(
      () => {
        this.#unconfirmed -= 1;
      },
      (err: unknown) => {
        this.#unconfirmed -= 1;
        if (!this.#abandoned) this.#lose(err, 1);
      },
    );
    this.#latest = confirmed;
    // A server that never answers again must not hold the write for ever: close() gives up.
    if (this.#unconfirmed >= WINDOW) await Promise.race([confirmed, this.#givenUp]);
  }

  protected async release(remainingMs: number): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    await within(this.#latest, remainingMs);
    if (this.#unconfirmed > 0) {
      this.#abandoned = true;
      this.#giveUp();
      this.#lose(new Error(`not confirmed when redis.linger_ms (${this.#options.section.linger_ms} ms) ran out`), this.#unconfirmed);
    }
    await closeRedis(client, this.#options.section.connect_timeout_ms);
  }

  #lose(err: unknown, count: number): void {
    const before = this.#lost;
    this.#lost += count;
    if (before === 0 || Math.floor(before / 1000) !== Math.floor(this.#lost / 1000)) {
      this.#logger.error(
        { err, lost: this.#lost },
        "the Redis server did not take an event already accepted by sendEvent (counted in lost)",
      );
    }
  }
}
