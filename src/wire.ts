/**
 * `pubsub-run/wire`: the Dragonflow-compatible wire format, for tools and peers that read
 * or write it without an agent: a message is `[topic, payload]`, the topic as UTF-8
 * bytes, the payload a MessagePack map `{table, key, action, value, topic}`.
 *
 * @packageDocumentation
 */
export { decodeEvent, decodeTopic, encodeEvent, encodeTopic } from "./agents/codec.js";
