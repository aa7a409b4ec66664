import { setTimeout as sleep } from "node:timers/promises";
import * as zmq from "zeromq";
import type { Logger } from "../../contract.js";
import { bindExplained } from "./bind.js";
import { bindSocketFile, removeSocketFile, type SocketAccess } from "./ipc-path.js";
import { applySocketOptions, type ZmqOptions } from "./options.js";
import { idOf, sequenceFrame, stampOf } from "./stamp.js";

/** Publishers whose streams the service remembers; past it the one heard from least recently is forgotten. */
const MAX_PUBLISHERS = 4_096;
/** Topics remembered per publisher; past it the longest-known one is forgotten. */
const MAX_TOPICS = 65_536;
/**
 * Streams (publisher, topic) remembered in all, about 250 bytes each; past it the
 * publisher heard from least recently is forgotten (its streams with it). Workers that
 * come and go (each a new publisher id) leave their streams behind until then.
 */
const MAX_STREAMS = 262_144;
/**
 * Confirmations are gathered this long before they go out, in milliseconds: one message
 * per worker per interval however many events it sent, so a worker that awaits each
 * send does not get (and wake up for) one acknowledgement per event. Far below what a
 * replay window holds at full speed.
 */
const ACK_INTERVAL_MS = 2;

/** One worker's events on one topic, as the service saw them. */
interface Stream {
  readonly topic: Uint8Array;
  /** The highest sequence taken in: anything at or below it again is a replayed duplicate. */
  taken: number;
  /** The highest sequence the network publisher accepted: what the worker is told. */
  confirmed: number;
  /** Confirmed since the worker was last told. */
  dirty: boolean;
}

interface Publisher {
  readonly id: Buffer;
  readonly streams: Map<string, Stream>;
  /** When it was last heard from, in {@link AckSender}'s ticks. */
  heard: number;
}

/**
 * The publisher service's side of the acknowledged IPC hop: it drops replayed events
 * (a worker resends what was not confirmed to a new service, and may resend what this
 * one already took) by (publisher id, topic, sequence), and tells each worker what the
 * network publisher accepted on an XPUB socket bound next to the data socket
 * (`ipc://<publisher_multiproc_socket>.ack`, same folder and mode). Acknowledgements
 * are batched: at most one message per worker every {@link ACK_INTERVAL_MS}, each
 * `[publisher id, topic, sequence (8 bytes), topic, sequence, ...]`, the highest
 * sequence per topic. A worker whose subscription arrives (it connected, or connected
 * again) is told everything confirmed so far. Memory is bounded by
 * {@link MAX_PUBLISHERS}, {@link MAX_TOPICS} and {@link MAX_STREAMS}; a forgotten
 * stream's next event is taken (a replayed one then reaches subscribers, which drop it
 * by its sequence).
 */
export class AckSender {
  readonly #path: string;
  readonly #options: ZmqOptions;
  readonly #logger: Logger;
  readonly #publishers = new Map<string, Publisher>();
  readonly #dirty = new Set<Publisher>();
  /** Streams of all publishers. */
  #streams = 0;
  /** Counts stream lookups that missed the last stream: the clock of {@link Publisher.heard}. */
  #tick = 0;
  #socket: zmq.XPublisher | undefined;
  #reading: Promise<void> | undefined;
  #flushing: Promise<void> | undefined;
  // The last stream: most events follow one of the same worker and topic.
  #lastPublisher: Publisher | undefined;
  #lastStream: Stream | undefined;
  /** Replayed events dropped as duplicates. */
  duplicates = 0;

  /** Streams (publisher, topic) remembered now. */
  get streams(): number {
    return this.#streams;
  }

  constructor(path: string, options: ZmqOptions, logger: Logger) {
    this.#path = path;
    this.#options = options;
    this.#logger = logger;
  }

  get endpoint(): string {
    return `ipc://${this.#path}`;
  }

  async open(option: string, access: SocketAccess): Promise<void> {
    const socket = new zmq.XPublisher();
    applySocketOptions(socket, this.#options, "send");
    socket.sendHighWaterMark = 0; // acknowledgements are few: one per worker per turn
    try {
      await bindSocketFile(this.#path, option, access, () => bindExplained(socket, this.endpoint, option));
    } catch (err: unknown) {
      socket.close();
      throw err;
    }
    this.#socket = socket;
    this.#reading = this.#readSubscriptions(socket);
  }

  /** False when `payload` is a replayed event this service already took (drop it); true otherwise, and it is taken. */
  admit(topic: Uint8Array, payload: Uint8Array): boolean {
    const stamp = stampOf(payload);
    if (stamp === undefined) return true; // not ours (a Dragonflow worker): at most once
    const stream = this.#stream(payload, stamp.idAt, topic);
    if (stamp.sequence <= stream.taken) {
      this.duplicates += 1;
      return false;
    }
    stream.taken = stamp.sequence;
    return true;
  }

  /** The network publisher accepted `payload`: its worker is told within {@link ACK_INTERVAL_MS}. */
  confirm(topic: Uint8Array, payload: Uint8Array): void {
    const stamp = stampOf(payload);
    if (stamp === undefined) return;
    const stream = this.#stream(payload, stamp.idAt, topic);
    const publisher = this.#lastPublisher as Publisher;
    if (stamp.sequence <= stream.confirmed) return;
    stream.confirmed = stamp.sequence;
    stream.dirty = true;
    this.#dirty.add(publisher);
    this.#flushing ??= this.#flush();
  }

  /** Sends what is confirmed and not told yet, then closes the socket (lingering `zmq.linger_ms`) and removes its file. */
  async close(): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined) return;
    await this.#flushing;
    this.#socket = undefined;
    socket.close();
    await this.#reading;
    await removeSocketFile(this.#path).catch(() => undefined);
  }

  async #flush(): Promise<void> {
    try {
      await sleep(ACK_INTERVAL_MS);
      while (this.#dirty.size > 0 && this.#socket !== undefined) {
        const publishers = [...this.#dirty];
        this.#dirty.clear();
        for (const publisher of publishers) await this.#tell(publisher, false);
      }
    } catch (err: unknown) {
      if (this.#socket !== undefined)
        this.#logger.warn({ err }, "cannot send acknowledgements to workers; they will send their events again");
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Sends `publisher` its confirmed sequences: the changed ones, or all (`all`). */
  async #tell(publisher: Publisher, all: boolean): Promise<void> {
    const frames: Uint8Array[] = [publisher.id];
    for (const stream of publisher.streams.values()) {
      if ((!all && !stream.dirty) || stream.confirmed === 0) continue;
      stream.dirty = false;
      frames.push(stream.topic, sequenceFrame(stream.confirmed));
    }
    if (frames.length > 1) await this.#socket?.send(frames);
  }

  async #readSubscriptions(socket: zmq.XPublisher): Promise<void> {
    try {
      for await (const [message] of socket) {
        if (message?.[0] !== 1) continue;
        const publisher = this.#publishers.get(message.subarray(1).toString("latin1"));
        if (publisher === undefined) continue;
        this.#dirty.delete(publisher);
        await this.#flushing;
        await this.#tell(publisher, true);
      }
    } catch (err: unknown) {
      if (!socket.closed) this.#logger.warn({ err }, "acknowledgement socket failed; workers will send their events again");
    }
  }

  /** The stream of the event at hand, made the last one (with its publisher). */
  #stream(payload: Uint8Array, idAt: number, topic: Uint8Array): Stream {
    const last = this.#lastStream;
    const lastPublisher = this.#lastPublisher;
    if (
      last !== undefined &&
      lastPublisher !== undefined &&
      sameAt(payload, idAt, lastPublisher.id) &&
      sameAt(topic, 0, last.topic, true)
    ) {
      return last;
    }
    const publisher = this.#publisher(idOf(payload, { sequence: 0, idAt }), payload, idAt);
    publisher.heard = this.#tick += 1;
    const stream = this.#streamOf(publisher, topic);
    this.#lastPublisher = publisher;
    this.#lastStream = stream;
    return stream;
  }

  #publisher(id: string, payload: Uint8Array, idAt: number): Publisher {
    let publisher = this.#publishers.get(id);
    if (publisher === undefined) {
      if (this.#publishers.size >= MAX_PUBLISHERS) this.#forgetQuietest(undefined);
      publisher = { id: Buffer.from(payload.subarray(idAt, idAt + 16)), streams: new Map(), heard: 0 };
      this.#publishers.set(id, publisher);
    }
    return publisher;
  }

  #streamOf(publisher: Publisher, topic: Uint8Array): Stream {
    const key = Buffer.from(topic.buffer, topic.byteOffset, topic.length).toString("latin1");
    let stream = publisher.streams.get(key);
    if (stream === undefined) {
      if (this.#streams >= MAX_STREAMS) this.#forgetQuietest(publisher);
      if (publisher.streams.size >= MAX_TOPICS || this.#streams >= MAX_STREAMS) {
        const oldest = publisher.streams.keys().next();
        if (oldest.done !== true) {
          publisher.streams.delete(oldest.value);
          this.#streams -= 1;
        }
        this.#lastStream = undefined;
      }
      stream = { topic: Buffer.from(topic), taken: 0, confirmed: 0, dirty: false };
      publisher.streams.set(key, stream);
      this.#streams += 1;
    }
    return stream;
  }

  /** Forgets the publisher heard from least recently, other than `keep`, with its streams. */
  #forgetQuietest(keep: Publisher | undefined): void {
    let quietest: [string, Publisher] | undefined;
    for (const entry of this.#publishers) {
      if (entry[1] !== keep && (quietest === undefined || entry[1].heard < quietest[1].heard)) quietest = entry;
    }
    if (quietest === undefined) return;
    const [id, publisher] = quietest;
    // Still told what was confirmed and not told yet, if it is among the dirty ones.
    this.#publishers.delete(id);
    this.#streams -= publisher.streams.size;
    this.#lastStream = undefined;
  }
}

/** True when `bytes` holds `expected` at `at` (and ends there, with `whole`). */
function sameAt(bytes: Uint8Array, at: number, expected: Uint8Array, whole = false): boolean {
  if (whole && bytes.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i += 1) if (bytes[at + i] !== expected[i]) return false;
  return true;
}
