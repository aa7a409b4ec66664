// 9. nats: nats_pubsub_driver, publisher -> nats-server -> subscriber, beside nats.js.
import { brokerScenario } from "../lib/broker.mjs";

export const name = "nats";
export const title = "nats: publisher -> nats-server -> subscriber, beside a plain nats.js loop";

export const run = (options) => brokerScenario(name, options);
