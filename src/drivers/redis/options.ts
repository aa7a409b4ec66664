import { publisherQueueSize } from "../../agents/publisher-base.js";
import type { ConnectionOptions } from "node:tls";
import type { RedisOptions } from "ioredis";
import { TransportError } from "../../errors.js";
import type { PubSubConfig } from "../../contract.js";
import { withoutCredentials } from "../../secrets.js";
import { tlsOptions } from "../broker/tls.js";
import { sectionOf } from "../section.js";

/** The `redis` section of the config, every option with a default filled in. */
export type RedisSection = NonNullable<PubSubConfig["redis"]>;
type Defaulted = "url" | "channel_prefix" | "connect_timeout_ms" | "reconnect_interval_ms" | "linger_ms" | "max_message_bytes";

/** What the Redis publisher and subscriber need, read once from the config. */
export interface RedisDriverOptions {
  readonly section: RedisSection & Required<Pick<RedisSection, Defaulted>>;
  /** The channel prefix as bytes, prepended to each topic frame. */
  readonly prefix: Buffer;
  /** `publisher_queue_size`: see `PublisherAgentOptions.queueSize`. */
  readonly queueSize: number;
  /** ioredis options for a connection to `url`: credentials, TLS, timeouts, reconnection. */
  clientOptions(url: string): ClientOptions;
}

/** ioredis's options as its constructor takes them (its `replyMapping` does not fit `exactOptionalPropertyTypes`). */
export type ClientOptions = Omit<RedisOptions, "replyMapping">;

/**
 * Reads the `redis` section (the loader validated it and filled its defaults) and checks what the schema cannot: TLS options need a
 * `rediss://` URL, and their files must be readable.
 *
 * @throws {@link TransportError} naming the option and the fix.
 */
export function redisOptions(config: PubSubConfig): RedisDriverOptions {
  const section = sectionOf(config, "redis") as RedisDriverOptions["section"];
  if (section.tls !== undefined && !section.url.startsWith("rediss://")) {
    throw new TransportError(
      `redis.tls: TLS options are set but redis.url is ${withoutCredentials(section.url)}; use a rediss:// URL for TLS, or remove redis.tls`,
    );
  }
  const access = redisAccess(config);
  const prefix = Buffer.from(section.channel_prefix, "utf8");
  return {
    section,
    prefix,
    queueSize: publisherQueueSize(config),
    clientOptions(url: string): ClientOptions {
      const options: ClientOptions = {
        lazyConnect: true,
        connectTimeout: section.connect_timeout_ms,
        retryStrategy: () => section.reconnect_interval_ms,
        // Commands wait for the connection to come back instead of failing after 20
        // attempts: the publisher's close() bounds the wait (linger_ms).
        maxRetriesPerRequest: null,
        // The subscriber subscribes again itself, so it knows when to say "sync".
        autoResubscribe: false,
        // A PUBLISH the server may have run before the connection dropped is not sent
        // again: at most once, never twice (the publisher counts and logs it as lost).
        autoResendUnfulfilledCommands: false,
      };
      // ioredis lets credentials in the URL win over these.
      return { ...options, ...ioredisAccess(access, url.startsWith("rediss://")) };
    },
  };
}

/** The user, password and TLS of a Redis connection. */
export interface RedisAccess {
  /** `redis.username`, when set. */
  readonly username: string | undefined;
  /** `redis.password`, when set. */
  readonly password: string | undefined;
  /** `redis.tls`'s options, its files read now; undefined without `redis.tls`. */
  readonly tls: ConnectionOptions | undefined;
}

/**
 * The `redis` section's user, password and TLS, for the Redis database driver
 * (`redis_nb_db_driver`), which connects to `remote_db_hosts` rather than `redis.url`:
 * over TLS when `redis.tls` is set.
 *
 * @throws {@link TransportError} naming the option when a TLS file cannot be read.
 */
export function redisAccess(config: PubSubConfig): RedisAccess {
  const section = sectionOf(config, "redis") as RedisSection;
  return {
    username: section.username,
    password: section.password,
    tls: section.tls === undefined ? undefined : tlsOptions(section.tls, "redis.tls"),
  };
}

/**
 * ioredis's options for `access`: the user and password when set, and TLS (with
 * `redis.tls`'s options, or Node's defaults without them) when `overTls`. The pub/sub
 * driver goes over TLS when its URL says `rediss://`, the database driver when
 * `redis.tls` is set.
 */
export function ioredisAccess(access: RedisAccess, overTls: boolean): Pick<ClientOptions, "username" | "password" | "tls"> {
  return {
    ...(access.username === undefined ? {} : { username: access.username }),
    ...(access.password === undefined ? {} : { password: access.password }),
    ...(overTls ? { tls: access.tls ?? {} } : {}),
  };
}

/** How an error about connecting names the options of {@link RedisAccess}. */
export const REDIS_CREDENTIALS = "credentials (redis.username, redis.password, redis.tls)";

/** The channel of a topic frame: the prefix, then the topic's bytes. */
export function channelOf(prefix: Buffer, topic: Uint8Array): Buffer {
  const bytes = Buffer.from(topic.buffer, topic.byteOffset, topic.byteLength);
  return prefix.length === 0 ? bytes : Buffer.concat([prefix, bytes]);
}
