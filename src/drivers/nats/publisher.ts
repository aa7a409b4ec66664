import { within } from "../../agents/deadline.js";
import { PublisherAgentBase } from "../../agents/publisher-base.js";
import { decodeTopic } from "../../agents/codec.js";
import { StateError } from "../../errors.js";
import type { Logger } from "../../contract.js";
import type { NatsConnection } from "./client.js";
import { connectNats, flushed } from "./connect.js";
import type { NatsDriverOptions } from "./options.js";
import { checkSubject } from "./subject.js";

/** Events published between two round trips to the server (PING/PONG), which bound what the client buffers. */
const FLUSH_EVERY = 1024;

/**
 * The NATS publisher: one connection to `nats.servers`; each event is published on the
 * subject named by its topic (checked: no wildcards, whitespace or empty tokens), with
 * the MessagePack event as the body. A write returns once the client buffered the
 * message; every {@link FLUSH_EVERY} messages it waits for the server to answer a
 * ping, so a publisher never runs far ahead of the server (or, while the connection
 * is down, of its return). `close()` waits `nats.linger_ms` in all for the queue to
 * drain and the server to have everything.
 */
export class NatsPublisher extends PublisherAgentBase {
  readonly #options: NatsDriverOptions;
  readonly #logger: Logger;
  readonly #subjects = new WeakMap<Uint8Array, string>();
  #connection: NatsConnection | undefined;
  #unflushed = 0;
  /** Events published since the server last confirmed it had everything (a PONG). */
  #unconfirmed = 0;
  #lost = 0;

  constructor(options: NatsDriverOptions, logger: Logger) {
    super({
      lingerMs: options.section.linger_ms,
      lingerOption: "nats.linger_ms",
      queueSize: options.queueSize,
      maxMessageBytes: options.section.max_message_bytes,
      maxMessageOption: "nats.max_message_bytes",
    });
    this.#options = options;
    this.#logger = logger;
  }

  protected override checkTopic(topic: string): void {
    checkSubject(topic);
  }

  protected async open(): Promise<void> {
    this.#connection = await connectNats(this.#options.section.servers, this.#options, "nats.servers", this.#logger);
  }

  protected async write(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) throw new StateError("write(): the NATS publisher is not connected");
    connection.publish(this.#subject(topic), payload);
    this.#unflushed += 1;
    this.#unconfirmed += 1;
    if (this.#unflushed >= FLUSH_EVERY) {
      this.#unflushed = 0;
      let outcome: "flushed" | "closed";
      try {
        outcome = await flushed(connection);
      } catch (err: unknown) {
        this.#lose(this.#unconfirmed - 1); // the events before this one were accepted
        throw err;
      }
      if (outcome === "closed") {
        this.#lose(this.#unconfirmed - 1);
        throw new Error("the NATS connection closed before the server had the event");
      }
      this.#unconfirmed = 0; // no other write runs meanwhile: the server has every one
    }
  }

  /**
   * Events accepted (their `sendEvent` resolved) that the server may not have had: those
   * published after the last confirmation when the connection closed, or when
   * `nats.linger_ms` ran out in `close()`.
   */
  get lost(): number {
    return this.#lost;
  }

  #lose(count: number): void {
    this.#unconfirmed = 0;
    if (count <= 0) return;
    this.#lost += count;
    this.#logger.error(
      { lost: this.#lost, now: count },
      "events accepted by sendEvent may not have reached the NATS server (counted in lost)",
    );
  }

  protected async release(remainingMs: number): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    const answered = flushed(connection).then(
      (outcome) => outcome === "flushed",
      () => false,
    );
    if ((await within(answered, remainingMs)) === true) this.#unconfirmed = 0;
    else this.#lose(this.#unconfirmed);
    await connection.close();
  }

  /** The subject of a topic frame, checked once per frame (the base reuses the frames of recent topics). */
  #subject(topic: Uint8Array): string {
    let subject = this.#subjects.get(topic);
    if (subject === undefined) {
      subject = decodeTopic(topic);
      checkSubject(subject);
      this.#subjects.set(topic, subject);
    }
    return subject;
  }
}
