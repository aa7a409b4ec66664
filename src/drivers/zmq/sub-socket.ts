import * as zmq from "zeromq";

/** libzmq's ZMQ_SNDHWM. */
const ZMQ_SNDHWM = 23;

/**
 * A SUB socket whose send high-water mark can be set: zeromq.js offers it only on sockets
 * that send messages, but a SUB sends its subscriptions, and libzmq drops one past that
 * mark (1,000 by default) without a word, on every (re)connection, before the
 * connection is up. A subscriber of more topics than the mark lost the others.
 */
export class SubSocket extends zmq.Subscriber {
  /** ZMQ_SNDHWM, in subscription messages; 0: no limit. */
  set subscriptionHighWaterMark(value: number) {
    this.setInt32Option(ZMQ_SNDHWM, value);
  }

  get subscriptionHighWaterMark(): number {
    return this.getInt32Option(ZMQ_SNDHWM);
  }
}
