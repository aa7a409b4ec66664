// The ZeroMQ multiproc driver beyond the conformance suite: the socket file's life
// cycle, lazy connect, what close() does with events no service took, a PULL socket
// that fails under the service, and how garbage is logged.
import assert from "node:assert/strict";
import { lstat, mkdir, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import createZmqMultiprocDriver from "../../dist/drivers/zmq-multiproc.js";
import { encodeEvent, encodeTopic } from "../../dist/wire.js";
import { Changes, Session, until, waitForFlow } from "../../dist/testing.js";
import { recordingLogger } from "../helpers/fixtures.mjs";
import { assertSocketReplaced, configFor, quietContext, rawPush, recordPendingReceives, socketDir } from "../helpers/zmq.mjs";

/** The multiproc driver on the socket `path`, as an endpoint for {@link Session}. */
async function driverAt(path, zmqOptions = {}) {
  const config = await configFor({ publisher_multiproc_socket: path, zmq: zmqOptions });
  return { api: createZmqMultiprocDriver(config, quietContext("multiproc")), address: `ipc://${path}` };
}

/** What a test opened and did not close itself: closed after the file's tests, whatever happened. */
const leftOver = new Session();
after(() => leftOver.close());

/** A running subscriber of `endpoint` (the service's side: bound at its own socket, no listen address needed). */
function runningSubscriber(endpoint, session = leftOver) {
  return session.subscriber(endpoint, []);
}

/** An initialised subscriber, not started (its start is expected to fail). */
async function idleSubscriber(endpoint) {
  const subscriber = endpoint.api.getSubscriber();
  subscriber.initialize(() => {});
  leftOver.track(subscriber);
  return subscriber;
}

/** A Unix socket file with no process behind it, as a service killed with SIGKILL leaves it. */
async function staleSocket(path) {
  const child = spawn(
    process.execPath,
    ["-e", `require("node:net").createServer().listen(${JSON.stringify(path)}, () => console.log("ready"))`],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const [line] = await once(createInterface({ input: child.stdout }), "line");
  assert.equal(line, "ready");
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
  assert.ok((await lstat(path)).isSocket(), "the killed process left its socket file");
}

describe("zmq_pubsub_multiproc_driver: the socket file", () => {
  it("creates a missing directory with mode 0700 and removes the socket file on close()", async () => {
    const dir = join(await socketDir(), "run", "pubsub");
    const path = join(dir, "publisher.sock");
    const { subscriber } = await runningSubscriber(await driverAt(path));
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.ok((await lstat(path)).isSocket());
    await subscriber.close();
    await assert.rejects(lstat(path), { code: "ENOENT" });
  });

  it("replaces a stale socket file left by a dead process", async () => {
    const path = join(await socketDir(), "publisher.sock");
    await staleSocket(path);
    const endpoint = await driverAt(path);
    const session = new Session();
    try {
      const { got } = await runningSubscriber(endpoint, session);
      const publisher = await session.publisher(endpoint);
      await publisher.sendEvent({ table: "t", key: "k", action: "set", value: 1 });
      await got.until(() => got.count("t") === 1, "an event through the replaced socket");
    } finally {
      await session.close();
    }
  });

  it("refuses a socket a running service holds, a path that is not a socket, and a path too long", async () => {
    const path = join(await socketDir(), "publisher.sock");
    const first = await runningSubscriber(await driverAt(path));
    try {
      const second = await idleSubscriber(await driverAt(path));
      await assert.rejects(second.daemonize(), {
        code: "PUBSUB_ERR_TRANSPORT",
        message: `publisher_multiproc_socket: ${path} is in use by a running process (another publisher service?); stop it or choose another with --set publisher_multiproc_socket=<path>`,
      });
    } finally {
      await first.subscriber.close();
    }
    const file = join(await socketDir(), "plain-file");
    await writeFile(file, "not a socket");
    const onFile = await idleSubscriber(await driverAt(file));
    await assert.rejects(onFile.daemonize(), {
      code: "PUBSUB_ERR_TRANSPORT",
      message: /plain-file exists and is not a socket; remove it or choose another/,
    });
    const long = join(await socketDir(), "x".repeat(120), "publisher.sock");
    await assert.rejects(driverAt(long), { code: "PUBSUB_ERR_TRANSPORT", message: /is longer than 107 bytes/ });
  });

  it("names the path and the option when the directory cannot be created", async () => {
    const blocker = join(await socketDir(), "a-file");
    await writeFile(blocker, "not a directory");
    const path = join(blocker, "run", "publisher.sock");
    const subscriber = await idleSubscriber(await driverAt(path));
    await assert.rejects(subscriber.daemonize(), {
      code: "PUBSUB_ERR_TRANSPORT",
      message: new RegExp(
        `^publisher_multiproc_socket: directory ${blocker}/run is not writable \\(ENOTDIR\\); choose another with --set publisher_multiproc_socket=<path>$`,
      ),
    });
  });
});

describe("zmq_pubsub_multiproc_driver: the worker side", () => {
  it("connects lazily: events sent before the service starts arrive once it does", async () => {
    const path = join(await socketDir(), "publisher.sock");
    const endpoint = await driverAt(path);
    const session = new Session();
    try {
      const publisher = await session.publisher(endpoint);
      const accepted = [];
      for (let i = 0; i < 100; i += 1) accepted.push(publisher.sendEvent({ table: "early", key: String(i), action: "set", value: i }));
      await assert.rejects(lstat(path), { code: "ENOENT" }, "the publisher must not create the service's socket");
      const { got } = await runningSubscriber(endpoint, session);
      await Promise.all(accepted);
      await got.until(() => got.count("early") === 100, "100 events sent before the service started");
      assert.deepEqual(
        got.of("early").map((event) => Number(event.key)),
        [...Array(100).keys()],
      );
    } finally {
      await session.close();
    }
  });

  it("close() with no service gives up after zmq.linger_ms and rejects the events it could not send", async () => {
    const path = join(await socketDir(), "nobody.sock");
    const publisher = (await driverAt(path, { linger_ms: 100, send_high_water_mark: 1 })).api.getPublisher();
    await publisher.initialize();
    const outcomes = [];
    for (let i = 0; i < 5; i += 1) {
      outcomes.push(
        publisher.sendEvent({ table: "lost", key: String(i), action: "set", value: i }).then(
          () => "sent",
          (err) => {
            assert.equal(
              err.message,
              `the publisher closed before this event could be sent (zmq.linger_ms of 100 ms expired); publisher_multiproc_socket: no publisher service took it at ipc://${path}; is 'pubsub-run service' running?`,
            );
            return err.code;
          },
        ),
      );
    }
    await publisher.close();
    const results = await Promise.all(outcomes);
    assert.ok(results.includes("PUBSUB_ERR_SEND"), `no event was reported unsent: ${results.join(", ")}`);
    assert.ok(
      results.every((result) => result === "sent" || result === "PUBSUB_ERR_SEND"),
      results.join(", "),
    );
  });
});

describe("zmq_pubsub_multiproc_driver: the PULL socket fails under the service", () => {
  /** The service's side and a worker, events flowing, with a recording logger; reopen attempts every `retryMs`. */
  async function inboxAndWorker(retryMs = 100) {
    const path = join(await socketDir(), "publisher.sock");
    const logger = recordingLogger();
    const config = await configFor({ publisher_multiproc_socket: path, zmq: { reconnect_interval_ms: retryMs } });
    const endpoint = { api: createZmqMultiprocDriver(config, { role: "multiproc", logger }), address: `ipc://${path}` };
    const session = new Session();
    try {
      const { subscriber, got } = await runningSubscriber(endpoint, session);
      const publisher = await session.publisher(endpoint);
      await waitForFlow(publisher, [got]);
      return { path, logger, subscriber, publisher, got, close: () => session.close() };
    } catch (err) {
      await session.close();
      throw err;
    }
  }

  const logged = (logger, pattern, level) =>
    logger.records.filter((r) => (level === undefined || r.level === level) && pattern.test(r.msg ?? ""));

  it("a socket closed under it is replaced on the same path: sync, then events flow again", async () => {
    const { path, subscriber, publisher, got, close } = await inboxAndWorker();
    try {
      await assertSocketReplaced({ subscriber, publisher, got }, async () => {
        assert.ok((await lstat(path)).isSocket(), "the new socket is bound at the same path");
      });
    } finally {
      await close();
    }
  });

  it("reopening fails while the path is taken and is retried until it is free, one error logged for the streak", async () => {
    const { path, logger, subscriber, publisher, got, close } = await inboxAndWorker(5);
    try {
      // Take the path from under the live socket: its file goes, a directory comes in its
      // place, so a new socket cannot be bound there ("exists and is not a socket").
      await unlink(path);
      await mkdir(path);
      subscriber.sockets[0].close();
      await logger.until(
        (records) => records.filter((r) => /still cannot open a new subscriber socket/.test(r.msg)).length >= 2,
        "three failed attempts",
      );
      assert.equal(logged(logger, /cannot open a new subscriber socket/, "error").length, 1, "one error for the streak");
      assert.match(logged(logger, /cannot open/, "error")[0].obj.err.message, /publisher\.sock exists and is not a socket/);
      assert.equal(subscriber.isRunning, true);
      assert.equal(subscriber.sockets.length, 0);
      assert.equal(got.syncs, 0);

      await rmdir(path);
      await got.until(() => got.syncs === 1, "a sync notice once the socket could be opened again");
      assert.equal(logged(logger, /opened a new subscriber socket after \d+ failed attempts/, "warn").length, 1);
      assert.ok((await lstat(path)).isSocket());
      await waitForFlow(publisher, [got]);
      await publisher.sendEvent({ table: "after", key: "1", action: "set", value: null });
      await got.until(() => got.count("after") === 1, "an event through the reopened socket");
      assert.equal(logged(logger, /cannot open a new subscriber socket/, "error").length, 1);
    } finally {
      await close();
    }
  });

  it("close() while reopening keeps failing ends the retries", async () => {
    const { path, logger, subscriber, publisher, close } = await inboxAndWorker(5);
    try {
      await unlink(path);
      await mkdir(path);
      subscriber.sockets[0].close();
      await logger.until((records) => records.some((r) => /cannot open a new subscriber socket/.test(r.msg)), "the first failed attempt");
      await publisher.close();
      // close() resolves only once the receive loop has ended: a loop that kept retrying
      // would hold it (and the test) until the timeout.
      await subscriber.close();
      assert.equal(subscriber.isRunning, false);
      assert.ok((await lstat(path)).isDirectory(), "close() removed what it had not created");
      await rmdir(path);
    } finally {
      await close();
    }
  });
});

describe("zmq_pubsub_multiproc_driver: undecodable messages", () => {
  it("a burst of garbage is logged once, its total when a good event follows", async () => {
    const path = join(await socketDir(), "publisher.sock");
    const logger = recordingLogger();
    const config = await configFor({ publisher_multiproc_socket: path });
    const { subscriber, got } = await runningSubscriber({
      api: createZmqMultiprocDriver(config, { role: "multiproc", logger }),
      address: `ipc://${path}`,
    });
    const raw = await rawPush(`ipc://${path}`);
    try {
      const topic = encodeTopic("D");
      await waitForFlow({ sendEvent: (event) => raw.send([topic, encodeEvent(event, "D")]) }, [got]);
      for (let i = 0; i < 20; i += 1) await raw.send([topic, Buffer.from(`garbage ${i}`)]);
      await raw.send([topic, encodeEvent({ table: "good", key: "1", action: "set", value: 1 }, "D")]);
      await got.until(() => got.count("good") === 1, "the good event after the garbage");
      const warnings = logger.records.filter((r) => r.level === "warn");
      assert.deepEqual(
        warnings.map((r) => r.msg),
        [
          "dropped an undecodable message; the subscriber keeps receiving (the rest of this burst is counted, not logged)",
          "a burst of undecodable messages ended",
        ],
      );
      assert.equal(warnings[1].obj.dropped, 20);
      assert.equal(subscriber.stats.undecodable, 20);
    } finally {
      await raw.close();
      await subscriber.close();
    }
  });
});

describe("zmq_pubsub_multiproc_driver: drain()", () => {
  it("delivers the whole backlog that had arrived when it started, then closes", async () => {
    const path = join(await socketDir(), "drain.sock");
    const { api } = await driverAt(path);
    let delivered = 0;
    const subscriber = api.getSubscriber();
    // A slow callback (50 µs an event): the events wait in the subscriber's queue.
    subscriber.initialize(() => {
      delivered += 1;
      const until = process.hrtime.bigint() + 50_000n;
      while (process.hrtime.bigint() < until);
    });
    await subscriber.daemonize();
    const [socket] = subscriber.sockets;
    // The sender's connection ends once it sent everything: all of it has arrived then.
    const disconnected = new Promise((resolve) => socket.events.on("disconnect", resolve));
    const count = 20_000;
    const sender = spawn(process.execPath, ["--input-type=module", "-e", BACKLOG_SENDER, `ipc://${path}`, String(count)], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    try {
      await disconnected;
      const backlog = count - delivered;
      await subscriber.drain(60_000);
      assert.ok(backlog > 1_000, `a backlog of ${backlog} events when drain() started`);
      assert.equal(delivered, count, "every event that had arrived was delivered");
    } finally {
      sender.kill();
      await subscriber.close();
    }
  });
});

describe("zmq_pubsub_multiproc_driver: drain() and the socket's thread", () => {
  it("unbinds only once no receive is pending (zeromq.js unbinds on a thread of its own; both at once can abort the process)", async (t) => {
    const path = join(await socketDir(), "idle.sock");
    const { api } = await driverAt(path);
    const subscriber = api.getSubscriber();
    const keys = [];
    const arrived = new Changes();
    subscriber.initialize((_table, key) => {
      keys.push(key);
      arrived.notify();
    });
    await subscriber.daemonize();
    const [socket] = subscriber.sockets;
    const unbinds = recordPendingReceives(t, socket, "unbind");
    const push = await rawPush(`ipc://${path}`);
    try {
      // Once this event is handled, nothing is left to read: the loop waits for the next message.
      await push.send([encodeTopic("t"), encodeEvent({ table: "t", key: "only", action: "set", value: null }, "t")]);
      await until(() => keys.length > 0, "the event", { changes: arrived });
      await subscriber.drain(5_000);
      assert.deepEqual(unbinds, [{ pending: false }]);
      assert.deepEqual(keys, ["only"]);
    } finally {
      await push.close();
      await subscriber.close();
    }
  });
});

/** Sends `count` events to `address` through a PUSH socket, then exits once they are written. */
const BACKLOG_SENDER = `
import * as zmq from ${JSON.stringify(new URL("../../node_modules/zeromq/lib/index.js", import.meta.url).href)};
import { encodeEvent, encodeTopic } from ${JSON.stringify(new URL("../../dist/wire.js", import.meta.url).href)};
const [address, count] = process.argv.slice(1);
const push = new zmq.Push({ linger: 10000 });
push.connect(address);
const topic = encodeTopic("t");
for (let i = 0; i < Number(count); i += 1) await push.send([topic, encodeEvent({ table: "t", key: String(i), action: "set", value: null }, "t")]);
push.close();
`;
