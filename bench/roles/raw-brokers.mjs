// The raw clients beside our broker drivers: ioredis and nats.js used as a careful
// application would, the same MessagePack maps on channel/subject "D", with the same
// pipelining as our publishers (1,024 commands in flight, then wait).
import { unpack } from "msgpackr";
import { TOPIC, rawPayload } from "../lib/events.mjs";

const WINDOW = 1_024;

/** A raw publisher: `send(event)` per event, `flush()` at the end, `close()`. */
export async function rawBrokerPublisher(impl, url) {
  if (impl === "raw-redis") {
    const { Redis } = await import("ioredis");
    const client = new Redis(url, { lazyConnect: true });
    await client.connect();
    let inFlight = [];
    return {
      send: async (event) => {
        inFlight.push(client.publish(TOPIC, rawPayload(event)));
        if (inFlight.length >= WINDOW) await Promise.all(inFlight.splice(0));
      },
      flush: () => Promise.all(inFlight.splice(0)),
      close: () => client.quit(),
    };
  }
  const { connect } = await import("nats");
  const connection = await connect({ servers: url });
  let unflushed = 0;
  return {
    send: async (event) => {
      connection.publish(TOPIC, rawPayload(event));
      if ((unflushed += 1) >= WINDOW) {
        unflushed = 0;
        await connection.flush();
      }
    },
    flush: () => connection.flush(),
    close: () => connection.close(),
  };
}

/** A raw subscriber of "D" calling `onEvent(table, key)` per message; returns its closer. */
export async function rawBrokerSubscriber(impl, url, onEvent) {
  const deliver = (payload) => {
    const map = unpack(payload);
    onEvent(map.table, map.key, map.action, map.value, map.topic);
  };
  if (impl === "raw-redis") {
    const { Redis } = await import("ioredis");
    const client = new Redis(url, { lazyConnect: true });
    await client.connect();
    client.on("messageBuffer", (_channel, message) => deliver(message));
    await client.subscribe(TOPIC);
    return () => client.quit();
  }
  const { connect } = await import("nats");
  const connection = await connect({ servers: url });
  connection.subscribe(TOPIC, { callback: (err, message) => err === null && deliver(message.data) });
  await connection.flush();
  return () => connection.close();
}
