// CurveZMQ on the network driver (zmq.curve): a subscriber without a key or with a key
// not on the allow-list gets nothing and is logged; one on the list gets every event; a
// recorder on the wire sees no event text; key files that are missing or malformed fail
// when the driver loads; `pubsub-run service` reloads the allow-list on SIGHUP.
import assert from "node:assert/strict";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as zmq from "zeromq";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { Changes, Collector, Session, freePort, until } from "../../dist/testing.js";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";
import { processStarter } from "../helpers/process.mjs";
import { configFor, quietContext, socketDir } from "../helpers/zmq.mjs";

const start = processStarter();
let project;
let keys;

/** Writes a key pair as pubsub-run keygen does: DIR/NAME.key and DIR/NAME.key_secret. */
async function keyPair(dir, name) {
  const { publicKey, secretKey } = zmq.curveKeyPair();
  await mkdir(dir, { recursive: true });
  const pair = { publicKey, public: join(dir, `${name}.key`), secret: join(dir, `${name}.key_secret`) };
  await writeFile(pair.public, `${publicKey}\n`);
  await writeFile(pair.secret, `${secretKey}\n`, { mode: 0o600 });
  return pair;
}

before(async () => {
  project = await makeProject();
  keys = {
    publisher: await keyPair(join(project.dir, "keys"), "publisher"),
    allowed: await keyPair(join(project.dir, "keys/subscribers"), "allowed"),
    stranger: await keyPair(join(project.dir, "keys"), "stranger"),
  };
});
after(() => project.cleanup());

/** zmq.curve for a publisher and, with `subscriber`, a subscriber holding that key pair. */
function curve(subscriber = keys.allowed, allowed = join(project.dir, "keys/subscribers")) {
  return {
    enabled: true,
    publisher_secret_key_file: keys.publisher.secret,
    allowed_subscribers: allowed,
    publisher_public_key: keys.publisher.publicKey,
    subscriber_public_key_file: subscriber.public,
    subscriber_secret_key_file: subscriber.secret,
  };
}

async function driver(port, zmqCurve) {
  const context = quietContext("network");
  const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", zmq: { curve: zmqCurve } });
  return { api: createZmqNetworkDriver(config, context), logger: context.logger };
}

/**
 * A TCP proxy that copies bytes both ways between its clients and `port`, and keeps
 * every byte it saw.
 */
async function recorder(port) {
  const seen = [];
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      sockets.add(from);
      from.on("data", (chunk) => {
        seen.push(chunk);
        to.write(chunk);
      });
      from.on("error", () => {});
      from.on("close", () => to.destroy());
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `tcp://127.0.0.1:${server.address().port}`,
    bytes: () => Buffer.concat(seen),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("zmq_pubsub_driver with zmq.curve", () => {
  it("a key on the list gets every event; a key not on it and no key at all get nothing; the refusal is logged with the peer address", async () => {
    const port = await freePort();
    const { api, logger } = await driver(port, curve());
    const stranger = (await driver(port, curve(keys.stranger))).api;
    const address = `tcp://127.0.0.1:${port}`;
    const session = new Session({ endpoint: async () => ({ api, address }) });
    const plain = new zmq.Subscriber({ linger: 0 });
    try {
      const { publisher, got } = await session.pair();
      const refused = await session.subscriber({ api: stranger, address });
      // A Dragonflow-style peer speaking plain ZMTP: its handshake fails at once.
      const plainHandshake = new Changes();
      let plainFailed = false;
      plain.events.on("handshake:error:protocol", () => {
        plainFailed = true;
        plainHandshake.notify();
      });
      const plainGot = [];
      plain.subscribe("");
      plain.connect(address);
      void (async () => {
        for await (const frames of plain) plainGot.push(frames);
      })().catch(() => {});
      await logger.until(
        (records) => records.some((r) => r.level === "warn" && /refused a subscriber from 127\.0\.0\.1/.test(r.msg)),
        "the refusal logged",
      );
      const refusal = logger.records.find((r) => /refused a subscriber/.test(r.msg));
      assert.deepEqual(refusal.obj.peers, ["127.0.0.1"]);
      assert.equal(refusal.obj.publicKey, keys.stranger.publicKey);
      await until(() => plainFailed, "the plain peer's handshake to fail", { changes: plainHandshake });
      for (let i = 0; i < 20; i += 1) await publisher.sendEvent({ table: "secret", key: String(i), action: "set", value: { i } });
      await got.until(() => got.count("secret") === 20, "20 events at the subscriber on the list");
      assert.equal(refused.got.events.length, 0);
      assert.equal(plainGot.length, 0);
    } finally {
      plain.close();
      await session.close();
    }
  });

  it("a recorder between publisher and subscriber sees no event text (and does see it without curve)", async () => {
    const text = "router-ports-of-tenant-4a7f";
    for (const on of [true, false]) {
      const port = await freePort();
      const { api } = await driver(port, on ? curve() : {});
      const proxy = await recorder(port);
      const session = new Session({ endpoint: async () => ({ api, address: proxy.address }) });
      try {
        const { publisher, got } = await session.pair();
        await publisher.sendEvent({ table: "ports", key: "1", action: "set", value: { name: text } });
        await got.until(() => got.count("ports") === 1, "the event through the recorder");
        assert.deepEqual(got.events.find((event) => event.table === "ports").value, { name: text });
        assert.equal(proxy.bytes().includes(text), !on, on ? "the event text crossed the wire in clear" : "the recorder saw nothing");
      } finally {
        await session.close();
        await proxy.close();
      }
    }
  });

  it("key files that are missing or malformed fail when the driver loads, naming the option and the file, never the key", async () => {
    const bad = join(project.dir, "keys/bad.key_secret");
    await writeFile(bad, "not-a-key-but-a-secret-SHOULD-NOT-PRINT\n");
    const missing = join(project.dir, "keys/none.key_secret");
    const cases = [
      [{ ...curve(), publisher_secret_key_file: missing }, "zmq.curve.publisher_secret_key_file", missing],
      [{ ...curve(), subscriber_secret_key_file: bad }, "zmq.curve.subscriber_secret_key_file", bad],
      [{ ...curve(), allowed_subscribers: join(project.dir, "nowhere") }, "zmq.curve.allowed_subscribers", join(project.dir, "nowhere")],
      [{ ...curve(), allowed_subscribers: bad }, "zmq.curve.allowed_subscribers", `${bad}:1`],
    ];
    for (const [options, option, file] of cases) {
      const config = await configFor({ publisher_port: 5999, zmq: { curve: options } });
      assert.throws(
        () => createZmqNetworkDriver(config, quietContext("network")),
        (err) => {
          assert.equal(err.code, "PUBSUB_ERR_TRANSPORT");
          assert.equal(err.option, option);
          assert.ok(err.message.startsWith(`${option}: `), err.message);
          assert.ok(err.message.includes(file), err.message);
          assert.ok(!err.message.includes("SHOULD-NOT-PRINT"), err.message);
          return true;
        },
      );
    }
    // Curve on without the publisher's secret key: a subscriber may load, a publisher may not.
    const subscriberOnly = curve();
    delete subscriberOnly.publisher_secret_key_file;
    const api = createZmqNetworkDriver(await configFor({ publisher_port: 5999, zmq: { curve: subscriberOnly } }), quietContext("network"));
    assert.throws(() => api.getPublisher(), { code: "PUBSUB_ERR_TRANSPORT", option: "zmq.curve.publisher_secret_key_file" });
  });

  it("pubsub-run service reloads the allow-list on SIGHUP: a key added then gets events", async () => {
    const port = await freePort();
    const allowed = join(project.dir, "keys/reloaded");
    await mkdir(allowed, { recursive: true });
    const late = await keyPair(join(project.dir, "keys"), "late");
    const socket = join(await socketDir(), "publisher.sock");
    const zmqCurve = curve(late, allowed);
    const sets = [
      "--set",
      `publisher_port=${port}`,
      "--set",
      "publisher_bind_address=127.0.0.1",
      "--set",
      `publisher_multiproc_socket=${socket}`,
      ...Object.entries(zmqCurve).flatMap(([name, value]) => ["--set", `zmq.curve.${name}=${value}`]),
    ];
    const service = start(["service", "--json", ...sets], { cwd: project.dir });
    await service.waitFor(/"msg":"ready/);
    const { api } = await driver(port, zmqCurve);
    const session = new Session();
    try {
      const got = new Collector();
      const subscriber = api.getSubscriber();
      session.track(subscriber);
      const connected = new Changes();
      let greeted = false;
      subscriber.onConnected(() => {
        greeted = true;
        connected.notify();
      });
      subscriber.initialize(got.callback);
      subscriber.registerListenAddress(`tcp://127.0.0.1:${port}`);
      await subscriber.daemonize();
      await service.waitFor(/refused a subscriber from 127\.0\.0\.1/);
      await copyFile(late.public, join(allowed, "late.key"));
      service.kill("SIGHUP");
      const reloaded = JSON.parse(await service.waitFor(/SIGHUP: reloaded/));
      assert.deepEqual([reloaded.option, reloaded.entries], ["zmq.curve.allowed_subscribers", 1]);
      await until(() => greeted, "the subscriber let in after the reload", { changes: connected });
      const published = await runCli(["publish", "--table", "after-hup", "--key", "1", "--action", "set", ...sets], { cwd: project.dir });
      assert.equal(published.code, 0, published.stderr);
      await got.until(() => got.count("after-hup") === 1, "the event after the reload");
      service.kill("SIGTERM");
      assert.deepEqual(await service.exit(), { code: 0, signal: null });
    } finally {
      await session.close();
    }
  });
});
