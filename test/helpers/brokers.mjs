// Conformance harnesses and raw clients for the broker drivers (Redis, NATS): each
// endpoint is a server of its own on a free loopback port, stopped when the endpoint
// closes; restarting the peer restarts that server on the same port.
import assert from "node:assert/strict";
import { it } from "node:test";
import { Redis } from "ioredis";
import { connect } from "nats";
import createNatsDriver from "../../dist/drivers/nats.js";
import createRedisDriver from "../../dist/drivers/redis.js";
import { Session, waitForFlow } from "../../dist/testing.js";
import { startNats, startRedis } from "./servers.mjs";
import { configFor, quietContext } from "./zmq.mjs";

/** Subjects a NATS driver must refuse: empty, wildcards, whitespace, empty tokens. */
export const INVALID_NATS_TOPICS = ["", "*", "a.*", "a.>", ">", "with space", "tab\there", "a..b", ".a", "a."];

const features = { topicFiltering: true, fanOut: true, restart: true, garbage: true };

/** A conformance harness for the Redis driver; `redis` adds options to the `redis` section. */
export function redisHarness(name, redis = {}) {
  return {
    name,
    features,
    async endpoint() {
      const server = await startRedis();
      const config = await configFor({ redis: { url: server.url, reconnect_interval_ms: 50, linger_ms: 2000, ...redis } });
      return { api: createRedisDriver(config, quietContext("network")), address: server.url, server, close: () => server.close() };
    },
    async restartPeer(endpoint, publisher) {
      await endpoint.server.restart();
      return publisher;
    },
    rawSender: (endpoint) => rawRedis(endpoint.address, redis.channel_prefix ?? ""),
  };
}

/** A conformance harness for the NATS driver; `nats` adds options to the `nats` section. */
export function natsHarness(name, nats = {}) {
  return {
    name,
    features,
    invalidTopics: INVALID_NATS_TOPICS,
    async endpoint() {
      const server = await startNats();
      const config = await configFor({ nats: { servers: [server.url], reconnect_interval_ms: 50, linger_ms: 2000, ...nats } });
      return { api: createNatsDriver(config, quietContext("network")), address: server.url, server, close: () => server.close() };
    },
    async restartPeer(endpoint, publisher) {
      await endpoint.server.restart();
      return publisher;
    },
    rawSender: (endpoint) => rawNats(endpoint.address),
  };
}

/**
 * A plain ioredis client that PUBLISHes `[topic, body]` as given: a peer written without
 * this package, or a source of garbage. A message of other than two frames goes out
 * with the frames after the first joined as its body.
 */
export async function rawRedis(url, prefix = "") {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  return {
    send: async (frames) => {
      await client.publish(Buffer.concat([Buffer.from(prefix), Buffer.from(frames[0])]), bodyOf(frames));
    },
    close: async () => {
      await client.quit();
    },
  };
}

/** A plain nats.js connection that publishes `[topic, body]` as given (see {@link rawRedis}). */
export async function rawNats(url) {
  const connection = await connect({ servers: url });
  return {
    send: async (frames) => {
      connection.publish(Buffer.from(frames[0]).toString("utf8"), bodyOf(frames));
      await connection.flush();
    },
    close: () => connection.close(),
  };
}

function bodyOf(frames) {
  return Buffer.concat(frames.slice(1).map((frame) => Buffer.from(frame)));
}

/**
 * A broker driver made by `create` with the `section` options (`redis` or `nats`): its
 * publishers and running subscribers come from one {@link Session}, closed after the
 * test through `cleanups`.
 */
export async function brokerDriver(create, section, options, cleanups) {
  const config = await configFor({ [section]: { reconnect_interval_ms: 50, linger_ms: 2000, ...options } });
  const api = create(config, quietContext("network"));
  const session = new Session();
  cleanups.push(() => session.close());
  return {
    publisher: () => session.publisher({ api, address: "" }),
    subscriber: (address, topics = []) => session.subscriber({ api, address }, [address], topics),
  };
}

/**
 * Five rounds of: a subscriber that changes its topics and closes at once, then a
 * publisher that closes right after a burst of `burst` unawaited sends. Every close()
 * returns; the closed subscriber is stopped and gets nothing more; every send settles
 * by the time close() returns, each either accepted or refused with PUBSUB_ERR_SEND;
 * and a subscriber that stays receives every accepted event of the round, in order.
 * The cleanups run last, awaited, so one that fails fails the test.
 */
export async function closeRightAfterChanges(broker, address, burst, cleanups) {
  const { got: stayed } = await broker.subscriber(address, ["burst"]);
  for (let round = 0; round < 5; round += 1) {
    const { subscriber, got } = await broker.subscriber(address, ["a"]);
    subscriber.registerTopic("b");
    subscriber.unregisterTopic("a");
    await subscriber.close();
    assert.equal(subscriber.isRunning, false);
    const publisher = await broker.publisher();
    await waitForFlow(publisher, [stayed], "burst");
    const table = `burst-${round}`;
    const outcomes = [];
    let settledCount = 0;
    for (let i = 0; i < burst; i += 1) {
      const sent = publisher.sendEvent({ table, key: String(i), action: "set", value: i }, "burst");
      outcomes.push(
        sent
          .then(
            () => "accepted",
            (err) => err,
          )
          .finally(() => (settledCount += 1)),
      );
    }
    await publisher.close();
    assert.equal(settledCount, burst, "every send settled by the time close() returned");
    const settled = await Promise.all(outcomes);
    const refused = settled.filter((outcome) => outcome !== "accepted");
    for (const err of refused) assert.equal(err?.code, "PUBSUB_ERR_SEND", String(err));
    const accepted = burst - refused.length;
    await stayed.until(() => stayed.count(table) === accepted, `the ${accepted} accepted events of round ${round}`);
    assert.deepEqual(
      stayed.of(table).map((event) => Number(event.key)),
      [...Array(accepted).keys()],
    );
    assert.equal(got.count("burst"), 0, "the closed subscriber got nothing");
  }
  for (const cleanup of cleanups.reverse()) await cleanup();
}

/**
 * `it(name, body)` whose body gets a list of cleanups (clients to quit, agents to
 * close), run after the test, last first, whatever became of it; a cleanup that fails
 * (its server is gone) is ignored.
 */
export function itWithCleanups(name, body) {
  return it(name, async () => {
    const cleanups = [];
    try {
      await body(cleanups);
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    }
  });
}
