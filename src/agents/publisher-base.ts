import { randomBytes } from "node:crypto";
import { PubSubError, SendError, StateError } from "../errors.js";
import { type PublisherApi, type PubSubEvent, type RawFrameSink, resolveTopic } from "../contract.js";
import { batchItems } from "./batch-items.js";
import { encodeEventBody, encodeTopic, isSingleEventPayload, type OutgoingMessage, Stamper } from "./codec.js";
import { within } from "./deadline.js";
import { SendQueue, type SendGrouping } from "./send-queue.js";

/** Topic frames kept encoded, so a publisher on a few topics encodes each once. */
const TOPIC_CACHE_SIZE = 1024;
/**
 * Topics whose sequence a publisher keeps. Past it the longest-known topic is forgotten,
 * its last sequence kept in a {@link ForgottenSequences} slot: when it comes back its
 * sequence goes on from there, never below what it was, so no one downstream (the
 * service dropping replayed events, a subscriber dropping duplicates) takes a new event
 * for one it saw already.
 */
const MAX_SEQUENCED_TOPICS = 65_536;
/** Slots of {@link ForgottenSequences}. */
const FORGOTTEN_SLOTS = 65_536;

/**
 * The last sequences of forgotten topics, each in the slot its name hashes to (the
 * highest of the topics sharing a slot): a topic that comes back starts after its
 * slot's sequence. Alone in its slot it goes on exactly where it was, and subscribers
 * see nothing; sharing it with a topic that had gone further, they see a gap and get
 * `"sync"`. Made at the first topic forgotten: 512 KiB, for publishers past
 * {@link MAX_SEQUENCED_TOPICS} topics only.
 */
class ForgottenSequences {
  readonly #slots = new Float64Array(FORGOTTEN_SLOTS);

  forget(topic: string, last: number): void {
    const slot = slotOf(topic);
    this.#slots[slot] = Math.max(this.#slots[slot] ?? 0, last);
  }

  /** The sequence a topic (new, or forgotten and back) goes on from. */
  lastOf(topic: string): number {
    return this.#slots[slotOf(topic)] ?? 0;
  }
}

/** FNV-1a of the topic's UTF-16 code units, to a slot of {@link ForgottenSequences}. */
function slotOf(topic: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < topic.length; i += 1) hash = Math.imul(hash ^ topic.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % FORGOTTEN_SLOTS;
}

/** The default of `publisher_queue_size`: messages a publisher holds unwritten before it refuses more. */
export const DEFAULT_PUBLISHER_QUEUE_SIZE = 1_048_576;

/** The `publisher_queue_size` of a config, for a driver to hand its publishers ({@link PublisherAgentOptions.queueSize}). */
export function publisherQueueSize(config: { readonly publisher_queue_size?: number | undefined }): number {
  return config.publisher_queue_size ?? DEFAULT_PUBLISHER_QUEUE_SIZE;
}

/** Options every publisher built on {@link PublisherAgentBase} accepts. */
export interface PublisherAgentOptions {
  /**
   * How long `close()` waits for accepted events to be written before it releases the
   * transport, in milliseconds; -1 waits forever. Events still queued then are rejected
   * with `PUBSUB_ERR_SEND`. Default 5000.
   */
  lingerMs?: number;
  /** The option that sets {@link lingerMs}, named in the error of an event `close()` gave up on. */
  lingerOption?: string;
  /**
   * Messages accepted and not yet written past which `sendEvent` and `sendFrames`
   * reject at once with `PUBSUB_ERR_SEND` (`publisher_queue_size`); 0: no limit.
   * Default {@link DEFAULT_PUBLISHER_QUEUE_SIZE}.
   */
  queueSize?: number;
  /**
   * Added to the error of every event that could not be sent: which option names the
   * peer and how to fix it, e.g. "publisher_multiproc_socket: no publisher service took
   * it at ipc:///run/pubsub.sock; is 'pubsub-run service' running?".
   */
  unsentHint?: string;
  /**
   * Batched wire mode: when more than one event waits in the queue, events on the same
   * topic go out together as one message whose payload is a MessagePack array of them,
   * up to this many payload bytes. One event when idle, many under load. Only
   * subscribers of this project read batches. 0 (the default) sends every event alone,
   * and a batch handed to `sendFrames` (relayed from a batching worker) goes out one
   * event a message, as plain peers read them.
   */
  batchMaxBytes?: number;
  /**
   * The largest message peers take, in bytes (a topic frame, or a payload as written,
   * stamp included); 0 (the default): no limit. A larger event is refused at once with
   * `PUBSUB_ERR_SEND` naming {@link maxMessageOption}, and takes no sequence number, so
   * subscribers see no gap; so is a larger message handed to `sendFrames`.
   */
  maxMessageBytes?: number;
  /** The option that sets {@link maxMessageBytes}, named in the error (`zmq.max_message_bytes`). */
  maxMessageOption?: string;
}

type State = "new" | "opening" | "open" | "closed";

/**
 * Groups the messages waiting in the queue: consecutive single events on the same topic,
 * up to `maxBytes` of payload, go out as one batch.
 */
function batching(
  maxBytes: number,
  stamper: Stamper,
  write: (topic: Uint8Array, payload: Uint8Array) => Promise<void>,
): SendGrouping<OutgoingMessage> {
  const sizeOf = ([, payload, sequence]: OutgoingMessage): number => payload.length + (sequence === 0 ? 0 : stamper.bytes);
  return {
    size(peek) {
      const first = peek(0) as OutgoingMessage;
      const [topic, payload] = first;
      if (!isSingleEventPayload(payload)) return 1;
      let bytes = sizeOf(first);
      let count = 1;
      for (let next = peek(count); next !== undefined; next = peek(count)) {
        const [nextTopic, nextPayload] = next;
        if (bytes + sizeOf(next) > maxBytes || !sameBytes(nextTopic, topic) || !isSingleEventPayload(nextPayload)) break;
        bytes += sizeOf(next);
        count += 1;
      }
      return count;
    },
    write(messages) {
      const [first] = messages as [OutgoingMessage];
      return write(first[0], stamper.batch(messages));
    },
  };
}

/** True when `payload` starts a MessagePack array: a batch of events. */
function isArrayPayload(payload: Uint8Array): boolean {
  const first = payload[0] ?? 0;
  return (first & 0xf0) === 0x90 || first === 0xdc || first === 0xdd;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || Buffer.compare(a, b) === 0;
}

/**
 * The shared part of every publisher: the state checks, the topic rule, the encoding
 * (once per event, stamped with {@link publisherId} and a sequence number per topic, so
 * subscribers can tell a gap: see `SubscriberAgentBase`), the queue that keeps concurrent `sendEvent` calls in order with one
 * write in flight, and a `close()` that flushes within a linger time and is safe to
 * call twice. A driver only moves bytes: it implements {@link open}, {@link write} and
 * {@link release}. Publishers built on it also relay raw frames ({@link RawFrameSink}).
 *
 * @example
 * ```ts
 * class MyPublisher extends PublisherAgentBase {
 *   protected async open() { this.server = await listen(port); }
 *   protected async write(topic: Uint8Array, payload: Uint8Array) { await this.server.broadcast(topic, payload); }
 *   protected async release(remainingMs: number) { await this.server.close(remainingMs); }
 * }
 * ```
 */
export abstract class PublisherAgentBase implements PublisherApi, RawFrameSink {
  readonly #queue: SendQueue<OutgoingMessage>;
  readonly #topics = new Map<string, Uint8Array>();
  readonly #sequences = new Map<string, { last: number }>();
  /** Where forgotten topics' sequences go on from; made when the first is forgotten. */
  #forgotten: ForgottenSequences | undefined;
  // The sequence of the last topic sent on: most events follow one on the same topic.
  #lastTopic = "";
  #lastSequence: { last: number } | undefined;
  /**
   * This publisher's id on the wire (`publisher_id`): random, the same for the agent's
   * whole life, so subscribers follow its sequence per topic and tell a new agent apart.
   */
  readonly publisherId: string = randomBytes(8).toString("hex");
  readonly #stamper = new Stamper(this.publisherId);
  readonly #lingerMs: number;
  readonly #lingerOption: string;
  readonly #queueSize: number;
  /** {@link PublisherAgentOptions.maxMessageBytes}; Infinity for no limit. */
  readonly #maxMessageBytes: number;
  readonly #maxMessageOption: string;
  readonly #unsentHint: string;
  /** Batches given to `sendFrames` go out one event a message (this publisher does not batch). */
  readonly #splitsBatches: boolean;
  #state: State = "new";
  #opening: Promise<void> | undefined;
  #released = false;

  constructor(options: PublisherAgentOptions = {}) {
    this.#lingerMs = options.lingerMs ?? 5_000;
    this.#lingerOption = options.lingerOption ?? "the linger time";
    this.#queueSize = options.queueSize ?? DEFAULT_PUBLISHER_QUEUE_SIZE;
    this.#maxMessageBytes = options.maxMessageBytes || Infinity;
    this.#maxMessageOption = options.maxMessageOption ?? "the message size limit";
    this.#unsentHint = options.unsentHint === undefined ? "" : `; ${options.unsentHint}`;
    const maxBytes = options.batchMaxBytes ?? 0;
    this.#splitsBatches = maxBytes <= 0;
    const grouping = maxBytes > 0 ? batching(maxBytes, this.#stamper, (topic, payload) => this.#write(topic, payload)) : undefined;
    this.#queue = new SendQueue(
      (message: OutgoingMessage) => this.#writeOne(message),
      grouping,
      (err) => this.#refused(err),
    );
  }

  /**
   * Binds or connects the transport. Called once, by the first `initialize()`; a driver
   * that connects lazily does nothing here and connects in its first {@link write}.
   */
  protected abstract open(): Promise<void>;

  /** Writes one message. Never called concurrently; calls come in `sendEvent` order. */
  protected abstract write(topic: Uint8Array, payload: Uint8Array): Promise<void>;

  /**
   * Releases the transport. Called once, by `close()`, after the queue drained or the
   * linger time ran out, and only when {@link open} was called. A {@link write} still in
   * flight should fail rather than hang.
   *
   * @param remainingMs - the linger time left once the queue drained, in milliseconds
   * (0 when it ran out; -1: no limit): how long a driver may still wait for its peer to
   * confirm what {@link write} handed over.
   */
  protected abstract release(remainingMs: number): Promise<void>;

  /**
   * Refuses a topic the transport cannot carry as it is (a NATS subject cannot hold
   * wildcards), so `sendEvent` rejects at once. By default every topic is fine.
   *
   * @throws a coded error (`PUBSUB_ERR_INVALID_TOPIC`) saying what is wrong.
   */
  protected checkTopic(_topic: string): void {}

  /** Events accepted and not yet written. */
  get queued(): number {
    return this.#queue.length;
  }

  async initialize(): Promise<void> {
    if (this.#state === "closed") throw new StateError("initialize(): the publisher is closed");
    if (this.#state === "new") {
      this.#state = "opening";
      this.#opening = this.open();
      try {
        await this.#opening;
      } catch (err: unknown) {
        this.#state = "new";
        this.#opening = undefined;
        throw err;
      }
      if ((this.#state as State) === "opening") this.#state = "open"; // unless close() ran meanwhile
      return;
    }
    await this.#opening;
  }

  sendEvent(update: PubSubEvent, topic?: string | null): Promise<void> {
    const refused = this.#refusal("sendEvent") ?? this.#full("sendEvent");
    if (refused !== undefined) return Promise.reject(refused);
    try {
      const onTopic = resolveTopic(update, topic);
      this.checkTopic(onTopic);
      const counter = onTopic === this.#lastTopic && this.#lastSequence !== undefined ? this.#lastSequence : this.#sequenceOf(onTopic);
      const body = encodeEventBody(update, onTopic);
      const frame = this.#topicFrame(onTopic);
      const bytes = Math.max(frame.length, body.length + this.#stamper.bytes);
      if (bytes > this.#maxMessageBytes) return Promise.reject(this.#tooLarge(bytes));
      counter.last += 1; // once encoded and within the limits: an event refused takes no number
      return this.#queue.push([frame, body, counter.last]);
    } catch (err: unknown) {
      return Promise.reject(err);
    }
  }

  sendFrames(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const refused = this.#refusal("sendFrames") ?? this.#full("sendFrames");
    return refused === undefined ? this.#queue.push([topic, payload, 0]) : Promise.reject(refused);
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    const opened = this.#opening;
    this.#state = "closed";
    const closingAt = Date.now();
    // A peer that never comes cannot hang close(): the queue gets the linger time at most.
    await within(this.#queue.close(), this.#lingerMs);
    this.#released = true;
    const wasOpened = opened !== undefined && (await opened.then(() => true).catch(() => false));
    if (wasOpened) await this.release(this.#lingerMs < 0 ? -1 : Math.max(0, this.#lingerMs - (Date.now() - closingAt)));
    await this.#queue.flush();
  }

  /** Peers would drop a message past {@link PublisherAgentOptions.maxMessageBytes}: refused here instead. */
  #tooLarge(bytes: number): SendError {
    const option = this.#maxMessageOption;
    return new SendError(
      `${option}: an event of ${bytes} bytes is larger than the limit (${this.#maxMessageBytes}); send smaller events, or raise ${option} on publishers and subscribers alike`,
      { option },
    );
  }

  /** The error of a message past `publisher_queue_size`, when the queue is that full. */
  #full(method: string): Error | undefined {
    const limit = this.#queueSize;
    if (limit === 0 || this.#state === "closed" || this.#queue.length < limit) return undefined;
    return new SendError(
      `${method}(): publisher_queue_size: ${limit} messages wait to be written already (the transport is behind); await sendEvent before sending more, or raise publisher_queue_size${this.#unsentHint}`,
    );
  }

  #refusal(method: string): Error | undefined {
    if (this.#state === "new" || this.#state === "opening") {
      return new StateError(`${method}(): call initialize() first and wait for it`);
    }
    return undefined; // closed: the queue refuses with PUBSUB_ERR_SEND
  }

  /** One message of the queue, stamped now when it is an event of this publisher. */
  #writeOne([topic, payload, sequence]: OutgoingMessage): Promise<void> {
    return this.#write(topic, sequence === 0 ? payload : this.#stamper.stamp(payload, sequence));
  }

  // Not async: the driver's promise goes to the queue as it is; the queue turns a
  // failure into the caller's error with #refused.
  #write(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    if (this.#released) return Promise.reject(new SendError(this.#gaveUp()));
    if (this.#splitsBatches && isArrayPayload(payload)) return this.#writeItems(topic, payload);
    return this.#writeWithin(topic, payload);
  }

  /**
   * One message as it goes out, refused when peers would not take it: a relayed frame, a
   * batch, or an item of a split batch. (`sendEvent` refuses its own too large events
   * earlier, before they take a sequence number.)
   */
  #writeWithin(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const bytes = Math.max(topic.length, payload.length);
    if (bytes > this.#maxMessageBytes) return Promise.reject(this.#tooLarge(bytes));
    return this.write(topic, payload);
  }

  /**
   * A batch relayed to a publisher that does not batch: its events go out one a message,
   * in order, each as it was packed. One that fails does not stop the rest; the first
   * failure is the batch's.
   */
  async #writeItems(topic: Uint8Array, batch: Uint8Array): Promise<void> {
    let failure: { err: unknown } | undefined;
    for (const item of batchItems(batch) ?? [batch]) {
      if (this.#released) throw new SendError(this.#gaveUp());
      try {
        await this.#writeWithin(topic, item);
      } catch (err: unknown) {
        failure ??= { err };
      }
    }
    if (failure !== undefined) throw failure.err;
  }

  #refused(err: unknown): unknown {
    if (err instanceof PubSubError) return err;
    const reason = err instanceof Error ? err.message : String(err);
    return new SendError(this.#released ? this.#gaveUp() : `the transport refused the event: ${reason}${this.#unsentHint}`, { cause: err });
  }

  #gaveUp(): string {
    return `the publisher closed before this event could be sent (${this.#lingerOption} of ${this.#lingerMs} ms expired)${this.#unsentHint}`;
  }

  /**
   * The sequence counter of `topic`, made the last one; a new topic's starts at 0, or,
   * once topics were forgotten, where its {@link ForgottenSequences} slot says.
   */
  #sequenceOf(topic: string): { last: number } {
    let counter = this.#sequences.get(topic);
    if (counter === undefined) {
      if (this.#sequences.size >= MAX_SEQUENCED_TOPICS) {
        const oldest = this.#sequences.entries().next();
        if (oldest.done !== true) {
          const [forgotten, { last }] = oldest.value;
          this.#sequences.delete(forgotten);
          this.#forgotten ??= new ForgottenSequences();
          this.#forgotten.forget(forgotten, last);
        }
      }
      counter = { last: this.#forgotten?.lastOf(topic) ?? 0 };
      this.#sequences.set(topic, counter);
    }
    this.#lastTopic = topic;
    this.#lastSequence = counter;
    return counter;
  }

  #topicFrame(topic: string): Uint8Array {
    let frame = this.#topics.get(topic);
    if (frame === undefined) {
      frame = encodeTopic(topic);
      if (this.#topics.size < TOPIC_CACHE_SIZE) this.#topics.set(topic, frame);
    }
    return frame;
  }
}
