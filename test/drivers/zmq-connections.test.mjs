// The network publisher's subscriber connections: counted from libzmq's socket events,
// each one lost logged (rate-limited), with subscribers in processes of their own.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { freePort } from "../../dist/testing.js";
import { makeProject } from "../helpers/fixtures.mjs";
import { processStarter } from "../helpers/process.mjs";
import { configFor, quietContext, socketDir } from "../helpers/zmq.mjs";

const start = processStarter();
const project = await makeProject();
after(() => project.cleanup());

/** Short heartbeats, so that a stopped subscriber is dropped within about a second. */
const HEARTBEATS = { heartbeat_interval_ms: 200, heartbeat_timeout_ms: 600 };

/** A network publisher bound to a fresh port of 127.0.0.1, and what it logged. */
async function boundPublisher() {
  const port = await freePort();
  const context = quietContext("network");
  const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", zmq: HEARTBEATS });
  const publisher = createZmqNetworkDriver(config, context).getPublisher();
  await publisher.initialize();
  const logger = context.logger;
  const lossLines = () => logger.records.filter((r) => r.level === "warn" && / lost: /.test(r.msg));
  return { port, publisher, logger, lossLines, endpoint: `tcp://127.0.0.1:${port}` };
}

/** A `pubsub-run subscribe` process connected to `endpoint` (it says so on stderr). */
async function subscriberProcess(endpoint) {
  const child = start(["subscribe", "--publisher", endpoint], { cwd: project.dir });
  await child.waitFor(/connected to/);
  return child;
}

describe("zmq_pubsub_driver: the publisher's subscriber connections", () => {
  it("one stopped past the heartbeat timeout, one killed, one closed: each counted as lost; the first logged at once, the other two in one line 10 s later", async () => {
    const { publisher, logger, lossLines, endpoint } = await boundPublisher();
    const [stopped, killed, closing, alive] = await Promise.all([1, 2, 3, 4].map(() => subscriberProcess(endpoint)));
    try {
      await publisher.whenSubscribers(4);
      assert.deepEqual(publisher.connections, { accepted: 4, lost: 0 });

      stopped.kill("SIGSTOP"); // its socket stays open; only the heartbeat timeout ends it
      await logger.until(() => lossLines().length === 1, "the stopped subscriber's connection to be logged as lost");
      assert.deepEqual(publisher.connections, { accepted: 4, lost: 1 });
      const [first] = lossLines();
      assert.match(first.msg, /^a subscriber connection was lost: /);
      assert.deepEqual(first.obj, { lost: 1, connectionsLost: 1, localEndpoints: [endpoint], heartbeatTimeoutMs: 600 });

      killed.kill("SIGKILL");
      closing.kill("SIGTERM"); // closes its socket and exits
      assert.deepEqual(await closing.exit(), { code: 0, signal: null });
      await killed.exit();
      // Held back by the rate limit, then logged with the count since the first line.
      await logger.until(() => lossLines().length === 2, "the next two losses, in one line");
      assert.deepEqual(lossLines()[1].obj, { lost: 2, connectionsLost: 3, localEndpoints: [endpoint], heartbeatTimeoutMs: 600 });
      assert.match(lossLines()[1].msg, /^2 subscriber connections were lost: /);
      assert.deepEqual(publisher.connections, { accepted: 4, lost: 3 });
      assert.equal(publisher.subscribers, 1, "the live subscriber is still connected");

      await publisher.close();
      assert.equal(alive.done, false, "the live subscriber was not dropped");
      assert.equal(lossLines().length, 2, "closing the publisher loses nothing more");
      assert.deepEqual(publisher.connections, { accepted: 4, lost: 3 }, "the counts stay readable after close()");
    } finally {
      stopped.kill("SIGCONT");
      await publisher.close();
    }
  });

  it("a connection that never completes the handshake (a TCP probe) is neither accepted nor lost", async () => {
    const { publisher, logger, lossLines, endpoint, port } = await boundPublisher();
    try {
      // The probe sends nothing and half-closes; its socket closes once libzmq dropped
      // the connection (and reported it), before any subscriber connects.
      await new Promise((resolve, reject) => {
        const probe = connect(port, "127.0.0.1", () => probe.end());
        probe.on("error", reject).on("close", resolve).resume();
      });
      const subscriber = await subscriberProcess(endpoint);
      assert.equal(lossLines().length, 0, "the probe is not logged as a lost subscriber");
      subscriber.kill("SIGKILL");
      await logger.until(() => lossLines().length === 1, "the subscriber's connection to be logged as lost");
      assert.deepEqual(publisher.connections, { accepted: 1, lost: 1 });
      await subscriber.exit();
      await publisher.close();
      assert.deepEqual(publisher.connections, { accepted: 1, lost: 1 }, "after its last events were read");
      assert.equal(lossLines().length, 1);
    } finally {
      await publisher.close();
    }
  });

  it("pubsub-run service logs a lost subscriber and shows the counts on its stats line", async () => {
    const port = await freePort();
    const socket = join(await socketDir(), "publisher.sock");
    const sets = ["--set", `publisher_port=${port}`, "--set", `publisher_multiproc_socket=${socket}`];
    const service = start(["service", "--json", ...sets], { cwd: project.dir });
    await service.waitFor(/"msg":"ready/);
    const subscriber = await subscriberProcess(`tcp://127.0.0.1:${port}`);
    subscriber.kill("SIGKILL");
    const lost = JSON.parse(await service.waitFor(/subscriber connection was lost/));
    assert.equal(lost.level, 40, "a warning");
    assert.deepEqual(lost.localEndpoints, [`tcp://127.0.0.1:${port}`]);
    service.kill("SIGUSR2");
    const stats = JSON.parse(await service.waitFor(/"msg":"stats \(SIGUSR2\)"/));
    assert.deepEqual(stats.connections, { accepted: 1, lost: 1 });
    service.kill("SIGTERM");
    assert.deepEqual(await service.exit(), { code: 0, signal: null });
    const stopped = JSON.parse(service.stderr.find((line) => /"msg":"stopped"/.test(line)));
    assert.deepEqual(stopped.connections, { accepted: 1, lost: 1 });
  });
});
