/**
 * Topics followed per publisher; past it the longest-known is forgotten (its next event
 * counts as its first). As many as a publisher keeps sequences for.
 */
const MAX_TOPICS_PER_PUBLISHER = 65_536;

/** What {@link SequenceTracker.take} says of an event that is not simply the next one. */
export const DUPLICATE = -1;
/** The publisher's sequence on the topic started again at 1: it restarted, events in flight may be lost. */
export const RESTARTED = -2;

/** Options of a {@link SequenceTracker}. */
export interface SequenceTrackerOptions {
  /** A publisher not heard from for about this long is forgotten, in milliseconds. */
  readonly forgetAfterMs: number;
  /** The most publishers tracked at once; past it the longest-known one is forgotten. */
  readonly maxPublishers: number;
}

interface Stream {
  /** The last sequence seen. */
  last: number;
}

interface Publisher {
  /** Its stream on each topic. */
  readonly topics: Map<string, Stream>;
  /** The sweep during which it was last heard from. */
  heardIn: number;
}

/**
 * Follows each publisher's sequence on each topic, as a subscriber receives it: the
 * first event seen from a (publisher, topic) is never a gap; after that an event is the
 * next one, one past a gap (how many are missing), a duplicate or a restart. Tracking is
 * per topic, so a subscriber of some topics only sees no false gaps.
 *
 * Memory is bounded: a publisher unheard of for `forgetAfterMs` (checked by
 * {@link sweep}, every half of it) is forgotten, at most `maxPublishers` are kept, and
 * at most {@link MAX_TOPICS_PER_PUBLISHER} topics of each (a subscriber that takes
 * every topic, such as one reading the multiproc socket, meets ever new ones). A
 * forgotten publisher's or topic's next event counts as its first.
 */
export class SequenceTracker {
  readonly #publishers = new Map<string, Publisher>();
  readonly #maxPublishers: number;
  /** How often {@link sweep} should run, in milliseconds. */
  readonly sweepIntervalMs: number;
  #sweep = 0;
  // The stream of the last event: most events follow one of the same publisher and topic.
  #lastId = "";
  #lastTopic = "";
  #lastPublisher: Publisher | undefined;
  #lastStream: Stream | undefined;

  constructor(options: SequenceTrackerOptions) {
    this.#maxPublishers = Math.max(1, options.maxPublishers);
    this.sweepIntervalMs = Math.max(1, Math.floor(options.forgetAfterMs / 2));
  }

  /** Publishers tracked now. */
  get size(): number {
    return this.#publishers.size;
  }

  /** Topics tracked now, of all publishers. */
  get topics(): number {
    let count = 0;
    for (const publisher of this.#publishers.values()) count += publisher.topics.size;
    return count;
  }

  /**
   * Takes one stamped event. Returns 0 for the next event (or the first seen), the
   * number of events missing before it (> 0) for a gap, {@link DUPLICATE} for one seen
   * already, or {@link RESTARTED} when the sequence started again at 1.
   */
  take(publisherId: string, topic: string, sequence: number): number {
    let stream = this.#lastStream;
    if (stream === undefined || publisherId !== this.#lastId || topic !== this.#lastTopic) {
      stream = this.#stream(publisherId, topic, sequence);
    } else if (this.#lastPublisher !== undefined) {
      this.#lastPublisher.heardIn = this.#sweep;
    }
    const last = stream.last;
    if (sequence === last + 1) {
      stream.last = sequence;
      return 0;
    }
    if (sequence > last) {
      stream.last = sequence;
      return sequence - last - 1;
    }
    if (sequence === 1 && last > 1) {
      stream.last = 1;
      return RESTARTED;
    }
    return DUPLICATE;
  }

  /**
   * The stream of (publisher, topic), made the last one. A new one starts just before
   * `sequence`: the first event seen is never a gap.
   */
  #stream(publisherId: string, topic: string, sequence: number): Stream {
    let publisher = this.#publishers.get(publisherId);
    if (publisher === undefined) {
      if (this.#publishers.size >= this.#maxPublishers) this.#forgetOldest();
      publisher = { topics: new Map(), heardIn: this.#sweep };
      this.#publishers.set(publisherId, publisher);
    }
    publisher.heardIn = this.#sweep;
    this.#lastId = publisherId;
    this.#lastTopic = topic;
    this.#lastPublisher = publisher;
    let stream = publisher.topics.get(topic);
    if (stream === undefined) {
      if (publisher.topics.size >= MAX_TOPICS_PER_PUBLISHER) deleteOldest(publisher.topics);
      stream = { last: sequence - 1 };
      publisher.topics.set(topic, stream);
    }
    this.#lastStream = stream;
    return stream;
  }

  /** Forgets the publishers unheard of since the sweep before the last one. */
  sweep(): void {
    this.#sweep += 1;
    this.#lastStream = undefined;
    for (const [id, publisher] of this.#publishers) {
      if (this.#sweep - publisher.heardIn >= 2) this.#publishers.delete(id);
    }
  }

  #forgetOldest(): void {
    this.#lastStream = undefined;
    deleteOldest(this.#publishers);
  }
}

/** Deletes the entry of `map` set first (the longest-known). */
function deleteOldest(map: Map<string, unknown>): void {
  const oldest = map.keys().next();
  if (oldest.done !== true) map.delete(oldest.value);
}
