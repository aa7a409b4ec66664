// The NATS driver beyond the conformance suite, on real nats-server processes: the
// wire seen by a plain NATS client, subjects it refuses, credentials, TLS, the
// connection name, cluster addresses and connection failures.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { connect } from "nats";
import createNatsDriver from "../../dist/drivers/nats.js";
import { ConnectError, InvalidTopicError, loadFromConfig } from "../../dist/index.js";
import { decodeEvent, encodeEvent } from "../../dist/wire.js";
import { Collector, freePort, waitForFlow } from "../../dist/testing.js";
import { makeProject, recordingLogger } from "../helpers/fixtures.mjs";
import { brokerDriver, closeRightAfterChanges, itWithCleanups } from "../helpers/brokers.mjs";
import { brokerSkipReason, startNats } from "../helpers/servers.mjs";

const TLS = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));

/** A NATS driver for `nats` (the section's options), its agents closed after the test. */
const driver = (nats, cleanups) => brokerDriver(createNatsDriver, "nats", nats, cleanups);

describe("nats_pubsub_driver", { skip: brokerSkipReason("nats-server") }, () => {
  let server;
  before(async () => {
    server = await startNats();
  });
  after(() => server?.close());

  const test = itWithCleanups;

  test("the wire: subject = topic, body = the shared MessagePack event, read and written by a plain NATS client", async (cleanups) => {
    const nats = await driver({ servers: [server.url] }, cleanups);
    const plain = await connect({ servers: server.url });
    cleanups.push(() => plain.close());
    const received = new Promise((resolve) => plain.subscribe("tenant-a.ports", { max: 1, callback: (_err, msg) => resolve(msg) }));
    await plain.flush();
    const publisher = await nats.publisher();
    await publisher.sendEvent({ table: "lport", key: "p1", action: "create", value: { mtu: 1450 } }, "tenant-a.ports");
    const message = await received;
    assert.equal(message.subject, "tenant-a.ports");
    assert.deepEqual(decodeEvent(message.data), {
      table: "lport",
      key: "p1",
      action: "create",
      value: { mtu: 1450 },
      topic: "tenant-a.ports",
      publisherId: publisher.publisherId,
      sequence: 1,
    });

    const { got } = await nats.subscriber(server.url);
    plain.publish("D", encodeEvent({ table: "lswitch", key: "s1", action: "delete", value: null }, "D"));
    await got.until(() => got.count("lswitch") === 1, "the event a plain client published");
    assert.deepEqual(got.of("lswitch"), [{ table: "lswitch", key: "s1", action: "delete", value: null, topic: "D" }]);
  });

  test("a subscriber of tenant-a never receives tenant-a.x", async (cleanups) => {
    const nats = await driver({ servers: [server.url] }, cleanups);
    const { got } = await nats.subscriber(server.url, ["tenant-a"]);
    const publisher = await nats.publisher();
    await waitForFlow(publisher, [got], "tenant-a");
    await publisher.sendEvent({ table: "deeper", key: "1", action: "set", value: null }, "tenant-a.x");
    await publisher.sendEvent({ table: "marker", key: "1", action: "set", value: null }, "tenant-a");
    await got.until(() => got.count("marker") === 1, "the marker");
    assert.equal(got.count("deeper"), 0);
  });

  it("close() right after a topic change or a burst does not wait for the server's answer for ever", { timeout: 10_000 }, async () => {
    const cleanups = [];
    await closeRightAfterChanges(await driver({ servers: [server.url] }, cleanups), server.url, 1024, cleanups);
  });

  test("an event above the server's max_payload is refused with PUBSUB_ERR_SEND; the next one goes out", async (cleanups) => {
    const nats = await driver({ servers: [server.url] }, cleanups);
    const { got } = await nats.subscriber(server.url);
    const publisher = await nats.publisher();
    await assert.rejects(publisher.sendEvent({ table: "huge", key: "1", action: "set", value: "x".repeat(2 * 1024 * 1024) }), {
      code: "PUBSUB_ERR_SEND",
      message: /MAX_PAYLOAD_EXCEEDED/,
    });
    await waitForFlow(publisher, [got]);
    assert.equal(got.count("huge"), 0);
  });

  test("loadFromConfig refuses a configured topic NATS cannot carry, naming it, and closes what it built", async (cleanups) => {
    const project = await makeProject({
      "pubsub.config.yaml": `pub_sub_driver: nats_pubsub_driver\npub_sub_use_multiproc: false\nnats:\n  servers: [${server.url}]\ntopics: [D, "tenant.*"]\n`,
    });
    cleanups.push(() => project.cleanup());
    await assert.rejects(loadFromConfig({ cwd: project.dir, env: {}, onEvent: () => {}, logger: recordingLogger() }), (err) => {
      assert.ok(err instanceof InvalidTopicError, String(err));
      assert.equal(err.code, "PUBSUB_ERR_INVALID_TOPIC");
      assert.match(err.message, /^nats_pubsub_driver: topic "tenant\.\*" cannot be a NATS subject: it contains "\*", a NATS wildcard; /);
      return true;
    });
  });

  test("loadFromConfig with a cluster: publishers default to the servers as one address; a dead server is skipped", async (cleanups) => {
    const dead = `nats://127.0.0.1:${await freePort()}`;
    const project = await makeProject({
      "pubsub.config.yaml": `pub_sub_driver: nats_pubsub_driver\npub_sub_use_multiproc: false\nnats:\n  servers: [${dead}, ${server.url}]\n`,
    });
    cleanups.push(() => project.cleanup());
    const got = new Collector();
    const pubsub = await loadFromConfig({ cwd: project.dir, env: {}, onEvent: got.callback, logger: recordingLogger() });
    cleanups.push(() => pubsub.close());
    assert.deepEqual(pubsub.config.publishers, [`${dead},${server.url}`]);
    await waitForFlow(pubsub.publisher, [got]);
  });

  test("the connection name shows in the server's monitoring", async (cleanups) => {
    const monitoring = await freePort();
    const monitored = await startNats({ args: ["-m", String(monitoring)] });
    cleanups.push(() => monitored.close());
    const nats = await driver({ servers: [monitored.url], name: "api-host-1" }, cleanups);
    await nats.publisher();
    const connz = await (await fetch(`http://127.0.0.1:${monitoring}/connz`)).json();
    assert.deepEqual(
      connz.connections.map((connection) => connection.name),
      ["api-host-1"],
    );
  });

  test("a broker that is not there: initialize() and daemonize() fail with PUBSUB_ERR_CONNECT naming the option and servers", async (cleanups) => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const nats = await driver({ servers: [url] }, cleanups);
    await assert.rejects(nats.publisher(), (err) => {
      assert.ok(err instanceof ConnectError, String(err));
      assert.match(err.message, new RegExp(`^nats\\.servers: cannot connect to the NATS server at ${url}: CONNECTION_REFUSED`));
      return true;
    });
    await assert.rejects(nats.subscriber(url), {
      code: "PUBSUB_ERR_CONNECT",
      message: /^publishers: cannot connect to the NATS server at /,
    });
  });

  describe("with credentials", () => {
    let withUser;
    let withToken;
    before(async () => {
      withUser = await startNats({ args: ["--user", "alice", "--pass", "wonderland"] });
      withToken = await startNats({ args: ["--auth", "s3cret-token"] });
    });
    after(async () => {
      await withUser?.close();
      await withToken?.close();
    });

    test("nats.user and nats.password; a wrong password fails with PUBSUB_ERR_CONNECT", async (cleanups) => {
      const good = await driver({ servers: [withUser.url], user: "alice", password: "wonderland" }, cleanups);
      const { got } = await good.subscriber(withUser.url);
      await waitForFlow(await good.publisher(), [got]);
      const bad = await driver({ servers: [withUser.url], user: "alice", password: "nope" }, cleanups);
      await assert.rejects(bad.publisher(), {
        code: "PUBSUB_ERR_CONNECT",
        message: /AUTHORIZATION_VIOLATION.*credentials \(nats\.user and nats\.password, or nats\.token, and nats\.tls\) are right/,
      });
    });

    test("nats.token; a wrong one fails with PUBSUB_ERR_CONNECT", async (cleanups) => {
      const good = await driver({ servers: [withToken.url], token: "s3cret-token" }, cleanups);
      const { got } = await good.subscriber(withToken.url);
      await waitForFlow(await good.publisher(), [got]);
      const bad = await driver({ servers: [withToken.url], token: "wrong" }, cleanups);
      await assert.rejects(bad.publisher(), { code: "PUBSUB_ERR_CONNECT", message: /AUTHORIZATION_VIOLATION/ });
    });
  });

  describe("over TLS", () => {
    let secure;
    before(async () => {
      secure = await startNats({
        args: ["--tlsverify", "--tlscert", `${TLS}server.pem`, "--tlskey", `${TLS}server.key`, "--tlscacert", `${TLS}ca.pem`],
      });
    });
    after(() => secure?.close());

    test("nats.tls: the CA and a client certificate; events flow", async (cleanups) => {
      const tls = { ca_file: `${TLS}ca.pem`, cert_file: `${TLS}client.pem`, key_file: `${TLS}client.key` };
      const nats = await driver({ servers: [secure.url], tls }, cleanups);
      const { got } = await nats.subscriber(secure.url);
      const publisher = await nats.publisher();
      await waitForFlow(publisher, [got]);
    });

    test("a CA that did not sign the server's certificate: PUBSUB_ERR_CONNECT", async (cleanups) => {
      const nats = await driver(
        { servers: [secure.url], tls: { ca_file: `${TLS}client.pem`, cert_file: `${TLS}client.pem`, key_file: `${TLS}client.key` } },
        cleanups,
      );
      await assert.rejects(nats.publisher(), { code: "PUBSUB_ERR_CONNECT" });
    });
  });
});
