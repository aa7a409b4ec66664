/**
 * `pubsub-run/internal`: building blocks this project's tests and benchmarks reach for. Not
 * part of the public API: anything here may change in any release.
 *
 * @internal
 * @packageDocumentation
 */
export { batchItems } from "./agents/batch-items.js";
export { writeStringBody } from "./agents/body-writer.js";
export { decodeEvents, decodePayload, encodeBatch, encodeEventBody, encodeStampedEvent, PayloadDecoder, Stamper } from "./agents/codec.js";
export { SendQueue, type SendGrouping } from "./agents/send-queue.js";
export { EXPIRED, within, type Expired } from "./agents/deadline.js";
export { ReplayWindow } from "./drivers/zmq/replay-window.js";
export { AckSender } from "./drivers/zmq/ack-sender.js";
export { DUPLICATE, RESTARTED, SequenceTracker } from "./agents/sequence-tracker.js";
