import { PublisherAgentBase } from "../../agents/publisher-base.js";
import { decodeTopic } from "../../agents/codec.js";
import { StateError } from "../../errors.js";
import type { Logger } from "../../logger.js";
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
  #closingAt = 0;

  constructor(options: NatsDriverOptions, logger: Logger) {
    super({ lingerMs: options.section.linger_ms, lingerOption: "nats.linger_ms" });
    this.#options = options;
    this.#logger = logger;
  }

  override async close(): Promise<void> {
    if (this.#closingAt === 0) this.#closingAt = Date.now();
    await super.close();
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

  protected async release(): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    const linger = this.#options.section.linger_ms;
    const left = linger < 0 ? -1 : Math.max(0, linger - (Date.now() - this.#closingAt));
    if (!(await flushedWithin(connection, left))) {
      this.#logger.error(
        { lingerMs: linger },
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

/** True when the server answered a ping within `ms` (-1: no limit), so it has every message sent before. */
async function flushedWithin(connection: NatsConnection, ms: number): Promise<boolean> {
  const answered = flushed(connection).then(
    (outcome) => outcome === "flushed",
    () => false,
  );
  if (ms < 0) return answered;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([answered, expired]);
  } finally {
    clearTimeout(timer);
  }
}
