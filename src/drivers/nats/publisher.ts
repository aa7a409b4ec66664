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

  constructor(options: NatsDriverOptions, logger: Logger) {
    super({ lingerMs: options.section.linger_ms, lingerOption: "nats.linger_ms" });
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
    if (this.#unflushed >= FLUSH_EVERY) {
      this.#unflushed = 0;
      if ((await flushed(connection)) === "closed") throw new Error("the NATS connection closed before the server had the event");
    }
  }

  protected async release(remainingMs: number): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    const answered = flushed(connection).then(
      (outcome) => outcome === "flushed",
      () => false,
    );
    if ((await within(answered, remainingMs)) !== true) {
      this.#logger.error(
        { lingerMs: this.#options.section.linger_ms },
        "close(): the NATS server had not received every event when nats.linger_ms ran out; the last events may be lost",
      );
    }
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
