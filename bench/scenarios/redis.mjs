// 8. redis: redis_pubsub_driver, publisher -> redis-server -> subscriber, beside ioredis.
import { brokerScenario } from "../lib/broker.mjs";

export const name = "redis";
export const title = "redis: publisher -> redis-server -> subscriber, beside a plain ioredis loop";

export const run = (options) => brokerScenario(name, options);
