// The ZeroMQ multiproc driver beyond the conformance suite: the socket file's life
// cycle, lazy connect, and what close() does with events no service took.
import assert from "node:assert/strict";
import { lstat, stat, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { describe, it } from "node:test";
import createZmqMultiprocDriver from "../../dist/drivers/zmq-multiproc.js";
import { Collector } from "../../dist/testing.js";
import { configFor, quietContext, socketDir } from "../helpers/zmq.mjs";

async function driverAt(path, zmqOptions = {}) {
  const config = await configFor({ publisher_multiproc_socket: path, zmq: zmqOptions });
  return createZmqMultiprocDriver(config, quietContext("multiproc"));
}

async function runningSubscriber(api) {
  const got = new Collector();
  const subscriber = api.getSubscriber();
  subscriber.initialize(got.callback);
  await subscriber.daemonize();
  return { subscriber, got };
}

/** A Unix socket file with no process behind it, as a service killed with SIGKILL leaves it. */
async function staleSocket(path) {
  const child = spawn(process.execPath, ["-e", `require("node:net").createServer().listen(${JSON.stringify(path)}, () => console.log("ready"))`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
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
    const api = await driverAt(path);
    const { subscriber, got } = await runningSubscriber(api);
    try {
      const publisher = api.getPublisher();
      await publisher.initialize();
      await publisher.sendEvent({ table: "t", key: "k", action: "set", value: 1 });
      await got.until(() => got.count("t") === 1, "an event through the replaced socket");
      await publisher.close();
    } finally {
      await subscriber.close();
    }
  });

  it("refuses a socket a running service holds, a path that is not a socket, and a path too long", async () => {
    const path = join(await socketDir(), "publisher.sock");
    const first = await runningSubscriber(await driverAt(path));
    try {
      const second = (await driverAt(path)).getSubscriber();
      second.initialize(() => {});
      await assert.rejects(second.daemonize(), {
        code: "PUBSUB_ERR_TRANSPORT",
        message: `publisher_multiproc_socket: ${path} is in use by a running process (another publisher service?); stop it or choose another with --set publisher_multiproc_socket=<path>`,
      });
    } finally {
      await first.subscriber.close();
    }
    const file = join(await socketDir(), "plain-file");
    await writeFile(file, "not a socket");
    const onFile = (await driverAt(file)).getSubscriber();
    onFile.initialize(() => {});
    await assert.rejects(onFile.daemonize(), { code: "PUBSUB_ERR_TRANSPORT", message: /plain-file exists and is not a socket; remove it or choose another/ });
    const long = join(await socketDir(), "x".repeat(120), "publisher.sock");
    const onLong = (await driverAt(long)).getSubscriber();
    onLong.initialize(() => {});
    await assert.rejects(onLong.daemonize(), { code: "PUBSUB_ERR_TRANSPORT", message: /is longer than 107 bytes/ });
  });

  it("names the path and the option when the directory cannot be created", async () => {
    const blocker = join(await socketDir(), "a-file");
    await writeFile(blocker, "not a directory");
    const path = join(blocker, "run", "publisher.sock");
    const subscriber = (await driverAt(path)).getSubscriber();
    subscriber.initialize(() => {});
    await assert.rejects(subscriber.daemonize(), {
      code: "PUBSUB_ERR_TRANSPORT",
      message: new RegExp(
        `^publisher_multiproc_socket: directory ${blocker}/run is not writable \\(ENOTDIR\\); choose another with --set publisher_multiproc_socket=<path>$`,
      ),
    });
    await subscriber.close();
  });
});

describe("zmq_pubsub_multiproc_driver: the worker side", () => {
  it("connects lazily: events sent before the service starts arrive once it does", async () => {
    const path = join(await socketDir(), "publisher.sock");
    const api = await driverAt(path);
    const publisher = api.getPublisher();
    await publisher.initialize();
    const accepted = [];
    for (let i = 0; i < 100; i += 1) accepted.push(publisher.sendEvent({ table: "early", key: String(i), action: "set", value: i }));
    await assert.rejects(lstat(path), { code: "ENOENT" }, "the publisher must not create the service's socket");
    const { subscriber, got } = await runningSubscriber(api);
    try {
      await Promise.all(accepted);
      await got.until(() => got.count("early") === 100, "100 events sent before the service started");
      assert.deepEqual(got.of("early").map((event) => Number(event.key)), [...Array(100).keys()]);
    } finally {
      await publisher.close();
      await subscriber.close();
    }
  });

  it("close() with no service gives up after zmq.linger_ms and rejects the events it could not send", async () => {
    const path = join(await socketDir(), "nobody.sock");
    const publisher = (await driverAt(path, { linger_ms: 100, send_high_water_mark: 1 })).getPublisher();
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
    assert.ok(results.every((result) => result === "sent" || result === "PUBSUB_ERR_SEND"), results.join(", "));
  });
});
