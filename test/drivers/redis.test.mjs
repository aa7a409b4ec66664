// The Redis driver beyond the conformance suite, on real redis-server processes: the
// wire seen by a plain Redis client, the channel prefix, credentials, TLS, connection
// failures and a connection the server drops.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import createRedisDriver from "../../dist/drivers/redis.js";
import { ConnectError, TransportError, loadFromConfig } from "../../dist/index.js";
import { decodeEvent, encodeEvent } from "../../dist/wire.js";
import { Collector, freePort, waitForFlow } from "../../dist/testing.js";
import { makeProject, recordingLogger } from "../helpers/fixtures.mjs";
import { brokerDriver, closeRightAfterChanges, itWithCleanups } from "../helpers/brokers.mjs";
import { brokerSkipReason, startRedis } from "../helpers/servers.mjs";
import { configFor, quietContext } from "../helpers/zmq.mjs";

const TLS = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));

/** A Redis driver for `redis` (the section's options), its agents closed after the test. */
const driver = (redis, cleanups) => brokerDriver(createRedisDriver, "redis", redis, cleanups);

async function plainClient(url, cleanups, options = {}) {
  const client = new Redis(url, { lazyConnect: true, ...options });
  await client.connect();
  cleanups.push(() => client.quit());
  return client;
}

describe("redis_pubsub_driver", { skip: brokerSkipReason("redis-server") }, () => {
  let server;
  before(async () => {
    server = await startRedis();
  });
  after(() => server?.close());

  const test = itWithCleanups;

  test("the wire: channel = topic, body = the shared MessagePack event, read and written by a plain Redis client", async (cleanups) => {
    const redis = await driver({ url: server.url }, cleanups);
    const plain = await plainClient(server.url, cleanups);
    const received = new Promise((resolve) => plain.once("messageBuffer", (channel, body) => resolve([channel.toString(), body])));
    await plain.subscribe("tenant-a");
    const publisher = await redis.publisher();
    await publisher.sendEvent({ table: "lport", key: "p1", action: "create", value: { mtu: 1450 } }, "tenant-a");
    const [channel, body] = await received;
    assert.equal(channel, "tenant-a");
    assert.deepEqual(decodeEvent(body), {
      table: "lport",
      key: "p1",
      action: "create",
      value: { mtu: 1450 },
      topic: "tenant-a",
      publisherId: publisher.publisherId,
      sequence: 1,
    });

    const { got } = await redis.subscriber(server.url);
    const sender = await plainClient(server.url, cleanups);
    await sender.publish("D", encodeEvent({ table: "lswitch", key: "s1", action: "delete", value: null }, "D"));
    await got.until(() => got.count("lswitch") === 1, "the event a plain client published");
    assert.deepEqual(got.of("lswitch"), [{ table: "lswitch", key: "s1", action: "delete", value: null, topic: "D" }]);
  });

  test("channel_prefix: the channel is prefix + topic, and deployments with other prefixes never meet", async (cleanups) => {
    const a = await driver({ url: server.url, channel_prefix: "a:" }, cleanups);
    const b = await driver({ url: server.url, channel_prefix: "b:" }, cleanups);
    const plain = await plainClient(server.url, cleanups);
    const received = new Promise((resolve) => plain.once("message", (channel) => resolve(channel)));
    await plain.subscribe("a:D");
    const fromB = await b.subscriber(server.url);
    const publisherA = await a.publisher();
    const publisherB = await b.publisher();
    await publisherA.sendEvent({ table: "from-a", key: "1", action: "set", value: null });
    await publisherA.close();
    await waitForFlow(publisherB, [fromB.got]);
    await publisherB.sendEvent({ table: "from-b", key: "1", action: "set", value: null });
    await fromB.got.until(() => fromB.got.count("from-b") === 1, "b's own event");
    assert.equal(await received, "a:D");
    assert.equal(fromB.got.count("from-a"), 0);
  });

  test("loadFromConfig: one line of config and the redis section, the same code publishes and receives", async (cleanups) => {
    const project = await makeProject({
      "pubsub.config.yaml": `pub_sub_driver: redis_pubsub_driver\npub_sub_use_multiproc: false\nredis:\n  url: ${server.url}\ntopics: [D, tenant-a]\n`,
    });
    cleanups.push(() => project.cleanup());
    const got = new Collector();
    const pubsub = await loadFromConfig({ cwd: project.dir, env: {}, onEvent: got.callback, logger: recordingLogger() });
    cleanups.push(() => pubsub.close());
    assert.deepEqual(pubsub.config.publishers, [server.url]);
    await pubsub.publisher.sendEvent({ table: "lport", key: "p1", action: "create", value: "{}" }, "tenant-a");
    await got.until(() => got.count("lport") === 1, "the event on tenant-a");
    assert.equal(got.of("lport")[0].topic, "tenant-a");
  });

  test("a connection the server drops comes back subscribed, and the callback gets sync", async (cleanups) => {
    const redis = await driver({ url: server.url }, cleanups);
    const { got } = await redis.subscriber(server.url, ["tenant-a"]);
    const publisher = await redis.publisher();
    await waitForFlow(publisher, [got], "tenant-a");
    const admin = await plainClient(server.url, cleanups);
    assert.ok((await admin.client("KILL", "TYPE", "pubsub")) >= 1);
    await got.until(() => got.syncs === 1, "a sync notice after the connection came back");
    await publisher.sendEvent({ table: "after", key: "1", action: "set", value: null }, "tenant-a");
    await got.until(() => got.count("after") === 1, "an event after the reconnection");
  });

  it("close() right after a topic change or a burst does not wait for the server's answer for ever", { timeout: 10_000 }, async () => {
    const cleanups = [];
    await closeRightAfterChanges(await driver({ url: server.url }, cleanups), server.url, 2048, cleanups);
  });

  test("a broker that is not there: initialize() and daemonize() fail with PUBSUB_ERR_CONNECT naming the option and URL", async (cleanups) => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const redis = await driver({ url }, cleanups);
    await assert.rejects(redis.publisher(), (err) => {
      assert.ok(err instanceof ConnectError, String(err));
      assert.equal(err.code, "PUBSUB_ERR_CONNECT");
      assert.match(err.message, new RegExp(`^redis\\.url: cannot connect to the Redis server at ${url}: connect ECONNREFUSED`));
      return true;
    });
    await assert.rejects(redis.subscriber(url), {
      code: "PUBSUB_ERR_CONNECT",
      message: /^publishers: cannot connect to the Redis server at redis:\/\/127\.0\.0\.1:\d+: /,
    });
  });

  describe("with a password", () => {
    let secured;
    before(async () => {
      secured = await startRedis({ args: ["--requirepass", "s3cret", "--user", "alice", "on", ">wonderland", "~*", "&*", "+@all"] });
    });
    after(() => secured?.close());

    test("redis.password authenticates; a wrong one fails with PUBSUB_ERR_CONNECT, the password never shown", async (cleanups) => {
      const good = await driver({ url: secured.url, password: "s3cret" }, cleanups);
      const { got } = await good.subscriber(secured.url);
      const publisher = await good.publisher();
      await waitForFlow(publisher, [got]);
      const bad = await driver({ url: secured.url, password: "wrong" }, cleanups);
      await assert.rejects(bad.publisher(), (err) => {
        assert.equal(err.code, "PUBSUB_ERR_CONNECT");
        assert.match(err.message, /WRONGPASS|invalid username-password/i);
        assert.match(err.message, /the address and credentials \(redis\.username, redis\.password, redis\.tls\) are right/);
        assert.doesNotMatch(err.message, /wrong/);
        return true;
      });
    });

    test("redis.username with redis.password (ACL user); credentials in the URL win and are not shown", async (cleanups) => {
      const user = await driver({ url: secured.url, username: "alice", password: "wonderland" }, cleanups);
      await user.publisher();
      const inUrl = secured.url.replace("redis://", "redis://alice:wonderland@");
      const urlWins = await driver({ url: inUrl, username: "nobody", password: "nothing" }, cleanups);
      await urlWins.publisher();
      const badUrl = await driver({ url: secured.url.replace("redis://", "redis://alice:nope@") }, cleanups);
      await assert.rejects(badUrl.publisher(), (err) => {
        assert.match(err.message, /^redis\.url: cannot connect to the Redis server at redis:\/\/alice:\*\*\*@127\.0\.0\.1:/);
        assert.doesNotMatch(err.message, /nope/);
        return true;
      });
    });
  });

  describe("over TLS", () => {
    let secure;
    before(async () => {
      secure = await startRedis({ tls: { cert: `${TLS}server.pem`, key: `${TLS}server.key`, ca: `${TLS}ca.pem`, authClients: true } });
    });
    after(() => secure?.close());

    test("rediss:// with redis.tls: the CA and a client certificate; events flow", async (cleanups) => {
      const tls = { ca_file: `${TLS}ca.pem`, cert_file: `${TLS}client.pem`, key_file: `${TLS}client.key` };
      const redis = await driver({ url: secure.url, tls }, cleanups);
      const { got } = await redis.subscriber(secure.url);
      const publisher = await redis.publisher();
      await waitForFlow(publisher, [got]);
      await publisher.sendEvent({ table: "secret", key: "1", action: "set", value: "over TLS" });
      await got.until(() => got.count("secret") === 1, "an event over TLS");
    });

    test("without the client certificate the server refuses: PUBSUB_ERR_CONNECT", async (cleanups) => {
      const redis = await driver({ url: secure.url, tls: { ca_file: `${TLS}ca.pem` } }, cleanups);
      await assert.rejects(redis.publisher(), { code: "PUBSUB_ERR_CONNECT" });
    });

    test("TLS options with a redis:// URL, or a TLS file that cannot be read: PUBSUB_ERR_TRANSPORT when the driver loads", async () => {
      const plainUrl = await configFor({ redis: { url: server.url, tls: { ca_file: `${TLS}ca.pem` } } });
      assert.throws(
        () => createRedisDriver(plainUrl, quietContext("network")),
        (err) => {
          assert.ok(err instanceof TransportError);
          assert.match(err.message, /^redis\.tls: TLS options are set but redis\.url is redis:\/\/.*; use a rediss:\/\/ URL/);
          return true;
        },
      );
      const missing = await configFor({ redis: { url: secure.url, tls: { ca_file: "/nonexistent/ca.pem" } } });
      assert.throws(() => createRedisDriver(missing, quietContext("network")), {
        code: "PUBSUB_ERR_TRANSPORT",
        message: /^redis\.tls\.ca_file: cannot read \/nonexistent\/ca\.pem \(ENOENT/,
      });
    });
  });
});
