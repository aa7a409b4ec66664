// A complete pub/sub driver over plain TCP (node:net), written against pubsub's public
// API only. The publisher listens on publisher_bind_address:publisher_port; subscribers
// connect to every registered listen address ("tcp://host:port"). A message is a list of
// length-prefixed frames, [topic, payload], the payload in pubsub's shared wire format,
// so the driver only moves bytes. Topics are filtered by the subscriber (the base class
// does it): the publisher sends every event to every subscriber.
import { createConnection, createServer } from "node:net";
import { PublisherAgentBase, SubscriberAgentBase, TransportError } from "pubsub-run";

const MAX_FRAMES = 16;
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const RECONNECT_MS = 100;

/** Encodes a message: u32 frame count, then per frame u32 length and bytes (big-endian). */
export function encodeMessage(frames) {
  const parts = [u32(frames.length)];
  for (const frame of frames) parts.push(u32(frame.length), frame);
  return Buffer.concat(parts);
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Splits a byte stream into messages; `take(frames)` gets each, in order. */
function messageReader(take) {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.length < 4) return;
      const count = pending.readUInt32BE(0);
      if (count > MAX_FRAMES) throw new Error(`a message of ${count} frames: the stream is corrupt`);
      const frames = [];
      let at = 4;
      for (let i = 0; i < count; i += 1) {
        if (pending.length < at + 4) return;
        const length = pending.readUInt32BE(at);
        if (length > MAX_FRAME_BYTES) throw new Error(`a frame of ${length} bytes: the stream is corrupt`);
        if (pending.length < at + 4 + length) return;
        frames.push(pending.subarray(at + 4, at + 4 + length));
        at += 4 + length;
      }
      pending = pending.subarray(at);
      take(frames);
    }
  };
}

/** Sends every event to every connected subscriber. The base keeps order and flushes on close(). */
class TcpPublisher extends PublisherAgentBase {
  #config;
  #server;
  #clients = new Set();

  constructor(config) {
    super({ lingerMs: 5000 });
    this.#config = config;
  }

  async open() {
    const { publisher_bind_address: address, publisher_port: port } = this.#config;
    this.#server = createServer((client) => {
      this.#clients.add(client);
      client.on("close", () => this.#clients.delete(client));
      client.on("error", () => client.destroy()); // a subscriber that went away
    });
    await new Promise((resolve, reject) => {
      this.#server.once("error", (err) =>
        reject(
          new TransportError(
            `publisher_port: cannot listen on ${address}:${port} (${err.code}); choose another with --set publisher_port=...`,
          ),
        ),
      );
      this.#server.listen(port, address === "*" ? undefined : address, resolve);
    });
  }

  async write(topic, payload) {
    const message = encodeMessage([topic, payload]);
    const full = [...this.#clients].filter((client) => !client.write(message));
    // Wait for slow subscribers rather than buffer without bound.
    await Promise.all(full.map((client) => new Promise((resolve) => client.once("drain", resolve).once("close", resolve))));
  }

  async release() {
    for (const client of this.#clients) client.end();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

/** Connects to each listen address and reconnects when a connection drops. */
class TcpSubscriber extends SubscriberAgentBase {
  #connections = new Map(); // uri -> { socket, timer, closed }

  async start() {
    for (const uri of this.listenAddresses) this.#connect(uri);
  }

  async stop() {
    for (const uri of [...this.#connections.keys()]) this.#disconnect(uri);
  }

  onListenAddressAdded(uri) {
    this.#connect(uri);
  }

  onListenAddressRemoved(uri) {
    this.#disconnect(uri);
  }

  // The base filters topics on receipt; nothing to tell the publisher.
  onTopicAdded() {}
  onTopicRemoved() {}

  #connect(uri, state = { socket: undefined, timer: undefined, closed: false, connectedBefore: false }) {
    const { hostname, port } = new URL(uri);
    this.#connections.set(uri, state);
    const socket = createConnection({ host: hostname, port: Number(port) });
    state.socket = socket;
    const read = messageReader((frames) => {
      if (frames.length === 2) this.receive(frames[0], frames[1]);
      else this.dropUndecodable(new Error(`expected 2 frames [topic, payload], got ${frames.length}`));
    });
    socket.on("connect", () => {
      // A connection made again: events may have been missed while it was down.
      if (state.connectedBefore) this.dispatchSync();
      state.connectedBefore = true;
    });
    socket.on("data", (chunk) => {
      try {
        read(chunk);
      } catch (err) {
        this.dropUndecodable(err);
        socket.destroy(); // framing lost: start over on a new connection
      }
    });
    socket.on("error", () => {}); // "close" follows
    socket.on("close", () => {
      if (state.closed) return;
      state.timer = setTimeout(() => this.#connect(uri, state), RECONNECT_MS);
    });
  }

  #disconnect(uri) {
    const state = this.#connections.get(uri);
    if (state === undefined) return;
    this.#connections.delete(uri);
    state.closed = true;
    clearTimeout(state.timer);
    state.socket?.destroy();
  }
}

/** The driver module's default export: the factory the loader calls with the effective config. */
export default function createTcpDriver(config, context) {
  const host = config.publisher_bind_address === "*" ? "127.0.0.1" : config.publisher_bind_address;
  return {
    getPublisher: () => new TcpPublisher(config),
    getSubscriber: () => new TcpSubscriber({ logger: context?.logger }),
    // What the loader and pubsub-run need to know: the publisher binds (one per host,
    // workers go through the publisher service), and where subscribers connect.
    description: {
      topology: "bind",
      address: `tcp://${config.publisher_bind_address}:${config.publisher_port}`,
      listenAddresses: [`tcp://${host}:${config.publisher_port}`],
      linger: { option: "the tcp driver's linger time", ms: 5000 },
    },
  };
}
