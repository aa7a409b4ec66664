// The ZeroMQ network driver beyond the conformance suite: transports, high-water marks,
// a socket that fails under the subscriber, and the welcome message.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as zmq from "zeromq";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { decodeEvent, encodeEvent, encodeTopic } from "../../dist/wire.js";
import { Changes, Collector, Session, freePort, until, waitForFlow } from "../../dist/testing.js";
import { recordingLogger } from "../helpers/fixtures.mjs";
import { assertSocketReplaced, configFor, quietContext, rawPublisher, socketDir } from "../helpers/zmq.mjs";

/** A publisher and a running subscriber of a fresh tcp endpoint, events flowing; `close()` closes both. */
async function tcpPair(overrides = {}) {
  const port = await freePort();
  const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", ...overrides });
  const api = createZmqNetworkDriver(config, quietContext("network"));
  const session = new Session({ endpoint: async () => ({ api, address: `tcp://127.0.0.1:${port}` }) });
  try {
    const { publisher, subscriber, got } = await session.pair();
    return { port, api, publisher, subscriber, got, close: () => session.close() };
  } catch (err) {
    await session.close();
    throw err;
  }
}

describe("zmq_pubsub_driver: a subscriber that does not keep up", () => {
  it("misses events at zmq.send_high_water_mark: overflows counted and logged, no Node warning; the publisher does not wait and the others get every event", async () => {
    const warnings = [];
    const onWarning = (warning) => warnings.push(warning.message);
    process.on("warning", onWarning);
    const port = await freePort();
    const context = quietContext("network");
    const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", zmq: { send_high_water_mark: 2_000 } });
    const publisher = createZmqNetworkDriver(config, context).getPublisher();
    await publisher.initialize();
    // Both count as this project's subscribers (they take the welcome message). The slow
    // one reads nothing until the end, through a small queue and socket buffer.
    const subscriber = (options) => {
      const socket = new zmq.Subscriber(options);
      socket.subscribe("\u0001pubsub.hello");
      socket.subscribe("D");
      socket.connect(`tcp://127.0.0.1:${port}`);
      return socket;
    };
    const slow = subscriber({ receiveHighWaterMark: 10, receiveBufferSize: 4096 });
    const fast = subscriber({ receiveHighWaterMark: 0 });
    try {
      await publisher.whenSubscribers(2);
      let fastGot = 0;
      let fastOutOfOrder = 0;
      const fastChanges = new Changes();
      const reading = (async () => {
        for await (const [topic, payload] of fast) {
          if (topic.toString() !== "D") continue;
          if (Number(decodeEvent(payload).key) !== fastGot) fastOutOfOrder += 1;
          fastGot += 1;
          fastChanges.notify();
        }
      })().catch(() => undefined);
      // ~10 MB in all: more than the slow subscriber's socket buffers and queue hold.
      // Every 1,000 events, wait for the fast one to have them all, so its own queue
      // never nears the high-water mark.
      const count = 30_000;
      const value = "v".repeat(300);
      for (let i = 0; i < count; i += 1) {
        await publisher.sendEvent({ table: "t", key: String(i), action: "set", value });
        if ((i + 1) % 1_000 === 0)
          await until(() => fastGot === i + 1, `the fast subscriber to have ${i + 1} events`, { changes: fastChanges });
      }
      assert.equal(fastGot, count);
      assert.equal(fastOutOfOrder, 0);
      assert.ok(publisher.queueOverflows >= 1, "the slow subscriber's overflow is counted");
      const logged = context.logger.records.filter((r) => r.level === "warn" && /not keeping up/.test(r.msg));
      assert.equal(logged.length, 1, "the first overflow is logged, the rest counted");
      assert.ok(logged[0].obj.queueOverflows >= 1 && logged[0].obj.sendHighWaterMark === 2_000);
      // zeromq.js warns about options set after a bind; ZMQ_XPUB_NODROP takes effect at once.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
      await publisher.close();
      // What the slow one still gets: in order, and short of `count` by the drops.
      let slowGot = 0;
      let last = -1;
      slow.receiveTimeout = 1_000;
      try {
        for (;;) {
          const [topic, payload] = await slow.receive();
          if (topic.toString() !== "D") continue;
          const key = Number(decodeEvent(payload).key);
          assert.ok(key > last, "in order");
          last = key;
          slowGot += 1;
        }
      } catch (err) {
        if (err.code !== "EAGAIN") throw err; // nothing more came within the timeout
      }
      assert.ok(slowGot < count, `the slow subscriber got ${slowGot} of ${count}`);
      fast.close();
      await reading;
    } finally {
      process.off("warning", onWarning);
      await publisher.close();
      slow.close();
      if (!fast.closed) fast.close();
    }
  });
});

describe("zmq_pubsub_driver: the event loop keeps turning under load", () => {
  // Sends and receives that complete at once never yield on their own: the driver lets
  // timers, I/O and signals in every 512 of them (nonblocking.ts).
  it("a long burst of awaited sendEvent calls", async () => {
    const { publisher, got, close } = await tcpPair();
    try {
      let turned = false;
      setImmediate(() => (turned = true));
      let sentBeforeTurn = 0;
      const count = 5_000;
      for (let i = 0; i < count; i += 1) {
        await publisher.sendEvent({ table: "burst", key: String(i), action: "set", value: null });
        if (!turned) sentBeforeTurn = i + 1;
      }
      assert.ok(turned && sentBeforeTurn <= 1_024, `the loop turned after ${sentBeforeTurn} of ${count} sends`);
      await got.until(() => got.count("burst") === count, "the burst");
    } finally {
      await close();
    }
  });

  it("a subscriber draining a backlog", async () => {
    const port = await freePort();
    const api = createZmqNetworkDriver(
      await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" }),
      quietContext("network"),
    );
    const done = join(await socketDir(), "sent");
    const count = 30_000;
    // Another process sends the burst once this subscriber is connected, then says so in a file.
    const sender = spawn(process.execPath, ["--input-type=module", "-e", SENDER, String(port), String(count), done], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    let delivered = 0;
    let blocked = false;
    const subscriber = api.getSubscriber();
    subscriber.initialize((table) => {
      if (table !== "burst") return;
      delivered += 1;
      // The first event: hold the event loop until every event was sent, as a slow
      // callback would, so the rest wait in the subscriber's queue.
      if (!blocked) {
        blocked = true;
        while (!existsSync(done)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    });
    subscriber.registerListenAddress(`tcp://127.0.0.1:${port}`);
    try {
      await subscriber.daemonize();
      // Between two turns of the event loop, how many events were delivered at most.
      let longest = 0;
      let atLastTurn = 0;
      await new Promise((resolve) => {
        const tick = () => {
          longest = Math.max(longest, delivered - atLastTurn);
          atLastTurn = delivered;
          if (delivered === count) resolve();
          else setImmediate(tick);
        };
        setImmediate(tick);
      });
      assert.ok(longest <= 1_024, `${longest} events were delivered without the event loop turning`);
    } finally {
      sender.kill();
      await subscriber.close();
    }
  });
});

/** The sending process of the backlog test: our network publisher, waiting for its subscriber. */
const SENDER = `
import { writeFileSync } from "node:fs";
import createZmqNetworkDriver from ${JSON.stringify(new URL("../../dist/drivers/zmq.js", import.meta.url).href)};
import { resolveConfig } from ${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)};
const [port, count, done] = process.argv.slice(1);
const { config } = await resolveConfig({ cwd: "/", env: {}, overrides: { publisher_port: Number(port), publisher_bind_address: "127.0.0.1" } });
const publisher = createZmqNetworkDriver(config).getPublisher();
await publisher.initialize();
await publisher.whenSubscribers(1);
for (let i = 0; i < Number(count); i += 1) await publisher.sendEvent({ table: "burst", key: String(i), action: "set", value: null });
await publisher.close();
writeFileSync(done, "");
`;

// A publisher of another implementation (a Dragonflow node): a PUB socket that greets no
// connection and sends an unstamped event every 20 ms, until killed.
const PLAIN_PUBLISHER = `
import * as zmq from ${JSON.stringify(import.meta.resolve("zeromq"))};
import { encodeEvent } from ${JSON.stringify(new URL("../../dist/wire.js", import.meta.url).href)};
const socket = new zmq.Publisher();
socket.linger = 0;
await socket.bind(process.argv[1]);
process.stdout.write("bound\\n");
for (let i = 0; ; i += 1) {
  await socket.send(["D", encodeEvent({ table: "plain", key: String(i), action: "set", value: process.pid }, "D")]);
  await new Promise((resolve) => setTimeout(resolve, 20));
}
`;

/** A plain publisher's process bound at `address`, once it says so; killed when the test ends. */
async function plainPublisher(t, address) {
  const child = spawn(process.execPath, ["--input-type=module", "-e", PLAIN_PUBLISHER, address], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  t.after(async () => {
    child.kill("SIGKILL");
    await exited;
  });
  await until(
    new Promise((resolve, reject) => {
      child.stdout.once("data", resolve);
      child.once("exit", (code) => reject(new Error(`the plain publisher exited (${code}) before it bound ${address}`)));
    }),
    "the plain publisher bound",
  );
  return { pid: child.pid, kill: async () => (child.kill("SIGKILL"), await exited) };
}

describe("zmq_pubsub_driver: a publisher that greets no connection (Dragonflow's)", () => {
  it("its restart gives the callback one sync once the connection is made again, then its events", async (t) => {
    const port = await freePort();
    const address = `tcp://127.0.0.1:${port}`;
    const api = createZmqNetworkDriver(await configFor({ publisher_port: port }), quietContext("network"));
    const session = new Session();
    t.after(() => session.close());
    const { got } = await session.subscriber({ api, address }, [address], []);
    const first = await plainPublisher(t, address);
    await got.until(() => got.of("plain").some((event) => event.value === first.pid), "an event of the first plain publisher");
    assert.equal(got.syncs, 0, "a first connection is no sync");
    await first.kill();
    const second = await plainPublisher(t, address);
    await got.until(() => got.of("plain").some((event) => event.value === second.pid), "an event of the second");
    const syncAt = got.events.findIndex((event) => event.action === "sync");
    const secondAt = got.events.findIndex((event) => event.table === "plain" && event.value === second.pid);
    assert.ok(syncAt >= 0 && syncAt < secondAt, "sync before the restarted publisher's events");
    assert.equal(got.syncs, 1);
  });
});

describe("zmq_pubsub_driver: transports", () => {
  it("refuses a transport this libzmq lacks, naming the supported ones", async () => {
    for (const transport of ["pgm", "epgm", "udp", "inproc"]) {
      if (zmq.capability.pgm === true && transport.endsWith("pgm")) continue;
      const config = await configFor({ publisher_transport: transport });
      assert.throws(
        () => createZmqNetworkDriver(config, quietContext("network")),
        (err) => {
          assert.equal(err.code, "PUBSUB_ERR_TRANSPORT");
          assert.match(err.message, new RegExp(`^publisher_transport: unsupported transport '${transport}' for the ZeroMQ driver`));
          assert.match(err.message, /supported here: tcp, ipc/);
          return true;
        },
      );
    }
  });

  it("ipc needs an absolute socket path in publisher_bind_address", async () => {
    const config = await configFor({ publisher_transport: "ipc" });
    assert.throws(() => createZmqNetworkDriver(config, quietContext("network")), {
      code: "PUBSUB_ERR_TRANSPORT",
      message:
        /^publisher_bind_address: the ipc transport needs an absolute socket path \(got "\*"\); e\.g\. --set publisher_bind_address=/,
    });
  });

  it("a port in use fails initialize() with a one-line error naming the port and the option", async () => {
    const { port, api, close } = await tcpPair();
    try {
      const second = api.getPublisher();
      await assert.rejects(second.initialize(), (err) => {
        assert.equal(err.code, "PUBSUB_ERR_TRANSPORT");
        assert.match(
          err.message,
          new RegExp(`^publisher_port: cannot bind tcp://127\\.0\\.0\\.1:${port}: address already in use; .* --set publisher_port=`),
        );
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
      await second.close();
    } finally {
      await close();
    }
  });

  it("a bind address that is not this host's fails initialize() naming publisher_bind_address, not the port", async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never a local address.
    const config = await configFor({ publisher_bind_address: "192.0.2.1", publisher_port: await freePort() });
    const publisher = createZmqNetworkDriver(config, quietContext("network")).getPublisher();
    await assert.rejects(publisher.initialize(), (err) => {
      assert.equal(err.code, "PUBSUB_ERR_TRANSPORT");
      assert.equal(err.option, "publisher_bind_address");
      assert.match(
        err.message,
        /^publisher_bind_address: cannot bind tcp:\/\/192\.0\.2\.1:\d+: no such local address; .*--set publisher_bind_address=\.\.\.$/,
      );
      return true;
    });
    await publisher.close();
  });

  it("ipc: the socket file is created on initialize() and removed on close()", async () => {
    const path = join(await socketDir(), "nested", "net.sock");
    const config = await configFor({ publisher_transport: "ipc", publisher_bind_address: path });
    const publisher = createZmqNetworkDriver(config, quietContext("network")).getPublisher();
    await publisher.initialize();
    const { lstat } = await import("node:fs/promises");
    assert.ok((await lstat(path)).isSocket());
    await publisher.close();
    await assert.rejects(lstat(path), { code: "ENOENT" });
  });
});

describe("zmq_pubsub_driver: volume and failures", () => {
  it("a burst of 200,000 events arrives whole with the default high-water marks", async () => {
    const { publisher, got, close } = await tcpPair({ zmq: { linger_ms: 5_000 } });
    try {
      const count = 200_000;
      const accepted = [];
      for (let i = 0; i < count; i += 1) accepted.push(publisher.sendEvent({ table: "burst", key: String(i), action: "set", value: i }));
      await Promise.all(accepted);
      got.timeoutMs = 60_000;
      await got.until(() => got.count("burst") === count, `${count} events`);
      const keys = got.of("burst").map((event) => Number(event.key));
      assert.ok(
        keys.every((key, index) => key === index),
        "events arrived out of order",
      );
    } finally {
      await close();
    }
  });

  it("close() delivers every accepted event, round after round (libzmq drops unsent data on unbind)", async () => {
    for (let round = 0; round < 10; round += 1) {
      const { publisher, subscriber, got } = await tcpPair();
      try {
        const count = 5_000;
        const accepted = [];
        for (let i = 0; i < count; i += 1) accepted.push(publisher.sendEvent({ table: "flush", key: String(i), action: "set", value: i }));
        await publisher.close();
        await Promise.all(accepted);
        await got.until(() => got.count("flush") === count, `round ${round}: ${count} events sent before close()`);
      } finally {
        await publisher.close();
        await subscriber.close();
      }
    }
  });

  it("an idle publisher greets subscribers and counts them without sending anything", async () => {
    const port = await freePort();
    const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" });
    const api = createZmqNetworkDriver(config, quietContext("network"));
    const publisher = api.getPublisher();
    await publisher.initialize();
    const subscribers = [api.getSubscriber(), api.getSubscriber()];
    try {
      const greeted = subscribers.map(
        (subscriber) =>
          new Promise((resolve) => {
            subscriber.onConnected(resolve);
            subscriber.initialize(() => undefined);
            subscriber.registerListenAddress(`tcp://127.0.0.1:${port}`);
          }),
      );
      for (const subscriber of subscribers) await subscriber.daemonize();
      // No event is ever sent and nobody waits on the publisher: the welcome message
      // comes from the publisher looking at its socket on its own.
      await Promise.all(greeted);
      await publisher.whenSubscribers(2);
      assert.equal(publisher.subscribers, 2);
    } finally {
      await publisher.close();
      for (const subscriber of subscribers) await subscriber.close();
    }
  });

  it("a socket closed under the subscriber is replaced: sync, then events flow again", async () => {
    const { publisher, subscriber, got, close } = await tcpPair();
    try {
      await assertSocketReplaced({ subscriber, publisher, got });
    } finally {
      await close();
    }
  });

  it("a burst of garbage is logged once, its total when a good event follows", async () => {
    const port = await freePort();
    const address = `tcp://127.0.0.1:${port}`;
    const logger = recordingLogger();
    const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" });
    const subscriber = createZmqNetworkDriver(config, { role: "network", logger }).getSubscriber();
    const got = new Collector();
    subscriber.initialize(got.callback);
    subscriber.registerListenAddress(address);
    await subscriber.daemonize();
    const raw = await rawPublisher(address);
    try {
      const topic = encodeTopic("D");
      const good = (event) => raw.send([topic, encodeEvent(event, "D")]);
      await waitForFlow({ sendEvent: good }, [got]);
      for (let burst = 1; burst <= 2; burst += 1) {
        for (let i = 0; i < 10 * burst; i += 1) await raw.send([topic, Buffer.from(`garbage ${i}`)]);
        await good({ table: "good", key: String(burst), action: "set", value: burst });
        await got.until(() => got.count("good") === burst, `the good event after burst ${burst}`);
      }
      const warnings = logger.records.filter((r) => r.level === "warn");
      assert.deepEqual(
        warnings.map((r) => [r.msg.replace(/;.*/, ""), r.obj.dropped]),
        [
          ["dropped an undecodable message", undefined],
          ["a burst of undecodable messages ended", 10],
          ["dropped an undecodable message", undefined],
          ["a burst of undecodable messages ended", 20],
        ],
      );
      assert.equal(subscriber.stats.undecodable, 30);
    } finally {
      await raw.close();
      await subscriber.close();
    }
  });

  it("the welcome message reaches only subscribers of its topic, and never the callback", async () => {
    const { port, publisher, got, close } = await tcpPair();
    const other = new zmq.Subscriber();
    try {
      other.subscribe("D");
      other.connect(`tcp://127.0.0.1:${port}`);
      const first = await until(other.receive(), "a first message at a plain SUB of D", {
        probe: () => publisher.sendEvent({ table: "plain", key: "k", action: "set", value: 1 }),
      });
      assert.equal(first.length, 2, "a plain SUB of D got something that is not [topic, payload]");
      assert.equal(first[0].toString(), "D");
      assert.equal(decodeEvent(first[1]).table, "plain");
      assert.equal(got.events.filter((event) => event.table === null && event.action !== "sync").length, 0);
      assert.equal(got.syncs, 0, "the first welcome is not a sync");
    } finally {
      other.close();
      await close();
    }
  });
});
