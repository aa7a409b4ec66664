import type { DriverContext, PubSubApi, PubSubConfig } from "../../contract.js";
import { createStderrLogger } from "../../logger.js";
import { withoutCredentials } from "../../secrets.js";
import { redisOptions } from "./options.js";
import { RedisPublisher } from "./publisher.js";
import { RedisSubscriber } from "./subscriber.js";

/**
 * The Redis driver, alias `redis_pubsub_driver`, built on ioredis (an optional peer
 * dependency: `npm install ioredis`). Publishers PUBLISH each event on the channel named
 * by its topic (after `redis.channel_prefix`) to the server at `redis.url`; subscribers
 * connect to each listen address (a Redis URL; by default `redis.url`) and SUBSCRIBE to
 * each registered topic, an exact match. The body is the shared MessagePack event.
 * It binds nothing, so every process may publish: run it with
 * `pub_sub_use_multiproc: false` (it describes itself as a broker driver). Redis keeps no event: a subscriber that is not
 * connected misses what is published meanwhile, and gets `"sync"` when it is back.
 *
 * @example
 * ```yaml
 * pub_sub_driver: redis_pubsub_driver
 * pub_sub_use_multiproc: false
 * redis:
 *   url: redis://10.0.0.7:6379
 * ```
 */
export default function createRedisDriver(config: PubSubConfig, context?: Partial<DriverContext>): PubSubApi {
  const options = redisOptions(config);
  const logger = context?.logger ?? createStderrLogger();
  return {
    getPublisher: () => new RedisPublisher(options, logger),
    getSubscriber: () => new RedisSubscriber(options, { logger }),
    description: {
      topology: "broker",
      address: withoutCredentials(options.section.url),
      listenAddresses: [options.section.url],
      linger: { option: "redis.linger_ms", ms: options.section.linger_ms },
      redact: withoutCredentials,
      secretOptions: ["redis.password"],
    },
  };
}
