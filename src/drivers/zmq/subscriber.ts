import type * as zmq from "zeromq";
import type { RawFrameSource } from "../../contract.js";
import { SubscriberAgentBase, type SubscriberAgentOptions } from "../../agents/subscriber-base.js";
import { WireFormatError } from "../../errors.js";
import type { ZmqOptions } from "./options.js";
import { ReceiveLoop, type ReceiveLoopHooks, type ReceivingSocket } from "./receive-loop.js";

type RawHandler = (topic: Uint8Array, payload: Uint8Array) => void;

/**
 * What the ZeroMQ subscribers share: messages that are not `[topic, payload]` are
 * counted and dropped, the rest decoded and delivered (or handed on raw, see
 * {@link onRawFrames}, when the payload's first byte says it can be an event); sockets
 * live in {@link ReceiveLoop}s, which replace a failed socket and then give the
 * callback `"sync"`, because events may have been lost. While the event handler is
 * behind, a loop stops receiving ({@link pausesTransport}): the backlog waits in
 * libzmq's queues, bounded by the high-water marks, and what the publisher cannot queue
 * is counted there and becomes `"sync"` here through the sequence numbers.
 */
export abstract class ZmqSubscriberBase extends SubscriberAgentBase implements RawFrameSource {
  protected readonly options: ZmqOptions;
  #raw: RawHandler | undefined;

  constructor(options: ZmqOptions, agentOptions: SubscriberAgentOptions = {}) {
    super(agentOptions);
    this.options = options;
  }

  /** The live sockets. Exposed for tests that break one on purpose; do not receive from them. */
  abstract get sockets(): readonly zmq.Socket[];

  onRawFrames(handler: RawHandler): void {
    this.#raw = handler;
  }

  protected override get pausesTransport(): boolean {
    return true;
  }

  /**
   * A receive loop over the sockets `open` creates; `take` may intercept control
   * messages, `release` frees what `open` set up besides the socket, and `waitSliceMs`
   * bounds one wait for a message (see {@link ReceiveLoopHooks.waitSliceMs}).
   */
  protected loop(
    open: () => Promise<ReceivingSocket>,
    {
      release,
      take = (frames) => this.take(frames),
      waitSliceMs,
    }: Partial<Pick<ReceiveLoopHooks, "release" | "take" | "waitSliceMs">> = {},
  ): ReceiveLoop {
    return new ReceiveLoop({
      open,
      take,
      backlog: () => this.backlog(),
      recovered: () => this.dispatchSync(),
      retryIntervalMs: this.options.reconnect_interval_ms,
      waitSliceMs,
      logger: this.logger,
      ...(release === undefined ? {} : { release }),
    });
  }

  /**
   * Delivers one message, or counts and drops it when it is not `[topic, payload]`;
   * `handled` as {@link SubscriberAgentBase.receive} takes it (a raw relay: once handed on).
   */
  protected take(frames: Buffer[], handled?: () => void): void {
    const [topic, payload] = frames;
    if (frames.length !== 2 || topic === undefined || payload === undefined) {
      this.dropUndecodable(new WireFormatError(`expected 2 frames [topic, payload], got ${frames.length}`));
      handled?.();
    } else if (this.#raw !== undefined) {
      if (this.acceptRaw(payload)) this.#raw(topic, payload);
      handled?.();
    } else {
      this.receive(topic, payload, handled);
    }
  }
}
