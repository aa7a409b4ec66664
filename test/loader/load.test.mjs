import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { loadFromConfig } from "../../dist/index.js";
import { MEMORY_DRIVER, afterTurns, makeProject, recordingLogger } from "../helpers/fixtures.mjs";

describe("loadFromConfig()", () => {
  let project;
  before(async () => {
    project = await makeProject({
      "memory.mjs": MEMORY_DRIVER,
      "failing-subscriber.mjs": MEMORY_DRIVER.replace(
        "async start() { subscribers.add(this); }",
        "async start() { throw new Error('cannot listen'); }",
      ),
      "pubsub.config.yaml": [
        "pub_sub_driver: ./memory.mjs",
        "pub_sub_multiproc_driver: ./memory.mjs",
        "topics: [D, tenant-a]",
        "publishers: [tcp://10.0.0.1:8866, tcp://10.0.0.2:8866]",
        "",
      ].join("\n"),
    });
  });
  after(() => project.cleanup());
  beforeEach(() => {
    globalThis.__memoryDriverCalls = [];
  });

  const load = (options = {}) => loadFromConfig({ cwd: project.dir, env: {}, logger: recordingLogger(), ...options });

  it("returns an initialised publisher from the multiproc driver when pub_sub_use_multiproc is true", async () => {
    const pubsub = await load();
    try {
      assert.equal(pubsub.publisher.role, "multiproc");
      assert.equal(pubsub.publisher.initialized, true);
      assert.deepEqual(
        globalThis.__memoryDriverCalls.map((c) => c.role),
        ["multiproc", "network"],
      );
    } finally {
      await pubsub.close();
    }
  });

  it("logs a warning for a PUBSUB_ variable a typo away from an option's, and reads PUBSUB_X__Y", async () => {
    const logger = recordingLogger();
    const env = { PUBSUB_PUBSUB_USE_MULTIPROC: "false", PUBSUB_ZMQ__LINGER_MS: "250", PUBSUB_EMULATOR_HOST: "localhost:8085" };
    const pubsub = await load({ env, logger, publisher: false });
    try {
      assert.deepEqual(
        logger.records.filter((r) => r.level === "warn").map((r) => r.msg),
        ["PUBSUB_PUBSUB_USE_MULTIPROC: names no option and is ignored; did you mean PUBSUB_PUB_SUB_USE_MULTIPROC?"],
      );
      assert.equal(globalThis.__memoryDriverCalls[0].config.zmq.linger_ms, 250);
    } finally {
      await pubsub.close();
    }
  });

  it("returns the publisher from the network driver when pub_sub_use_multiproc is false", async () => {
    const pubsub = await load({ overrides: { pub_sub_use_multiproc: false } });
    try {
      assert.equal(pubsub.publisher.role, "network");
      assert.deepEqual(
        globalThis.__memoryDriverCalls.map((c) => c.role),
        ["network"],
      );
    } finally {
      await pubsub.close();
    }
  });

  it("registers the subscriber to the configured topics and publishers, without starting it", async () => {
    const pubsub = await load();
    try {
      assert.deepEqual(pubsub.subscriber.topics, ["D", "tenant-a"]);
      assert.deepEqual(pubsub.subscriber.listenAddresses, ["tcp://10.0.0.1:8866", "tcp://10.0.0.2:8866"]);
      assert.equal(pubsub.subscriber.isRunning, false);
    } finally {
      await pubsub.close();
    }
  });

  it("registers exactly the configured topics: D is left out when the config leaves it out", async () => {
    const pubsub = await load({ overrides: { topics: ["tenant-a"] } });
    try {
      assert.deepEqual(pubsub.subscriber.topics, ["tenant-a"]);
    } finally {
      await pubsub.close();
    }
  });

  it("starts the subscriber with onEvent, and events flow end to end", async () => {
    const received = [];
    const pubsub = await load({ onEvent: (...args) => received.push(args) });
    try {
      assert.equal(pubsub.subscriber.isRunning, true);
      await pubsub.publisher.sendEvent({ table: "lport", key: "p1", action: "create", value: { mac: "x" } }, "tenant-a");
      await pubsub.publisher.sendEvent({ table: "lport", key: "p2", action: "delete", value: null, topic: "tenant-b" });
      assert.deepEqual(received, [["lport", "p1", "create", { mac: "x" }, "tenant-a"]]);
    } finally {
      await pubsub.close();
    }
  });

  it("returns the effective config and the file it came from", async () => {
    const pubsub = await load({ overrides: ["publisher_port=9400"] });
    try {
      assert.equal(pubsub.config.publisher_port, 9400);
      assert.equal(pubsub.filepath, `${project.dir}/pubsub.config.yaml`);
    } finally {
      await pubsub.close();
    }
  });

  it("builds only what is asked for: publisher: false, subscriber: false", async () => {
    const subOnly = await load({ publisher: false });
    assert.equal(subOnly.publisher, null);
    assert.deepEqual(
      globalThis.__memoryDriverCalls.map((c) => c.role),
      ["network"],
    );
    await subOnly.close();
    globalThis.__memoryDriverCalls = [];
    const pubOnly = await load({ subscriber: false });
    assert.equal(pubOnly.subscriber, null);
    assert.deepEqual(
      globalThis.__memoryDriverCalls.map((c) => c.role),
      ["multiproc"],
    );
    await pubOnly.close();
  });

  it("close() closes both agents, and a second close() is a no-op", async () => {
    const pubsub = await load({ onEvent: () => {} });
    await pubsub.close();
    assert.equal(pubsub.publisher.closed, true);
    assert.equal(pubsub.subscriber.closed, true);
    assert.equal(pubsub.subscriber.isRunning, false);
    await pubsub.close();
  });

  it("closes the publisher it already made when the subscriber fails to start", async () => {
    globalThis.__memoryPublishers = [];
    await assert.rejects(
      load({
        overrides: { pub_sub_driver: "./failing-subscriber.mjs", pub_sub_use_multiproc: false },
        onEvent: () => {},
      }),
      /cannot listen/,
    );
    assert.equal(globalThis.__memoryPublishers.length, 1);
    assert.equal(globalThis.__memoryPublishers[0].initialized, true);
    assert.equal(globalThis.__memoryPublishers[0].closed, true);
  });

  describe("consuming", () => {
    const memory = { overrides: { pub_sub_use_multiproc: false } };

    it("events() starts the subscriber and yields event objects; await using closes everything", async () => {
      const pubsub = await load(memory);
      const events = pubsub.events();
      const first = events.next();
      await afterTurns(() => pubsub.subscriber.isRunning);
      await pubsub.publisher.sendEvent({ table: "lport", key: "p1", action: "create", value: { mac: "m" } });
      assert.deepEqual((await first).value, { table: "lport", key: "p1", action: "create", value: { mac: "m" }, topic: "D" });
      await pubsub[Symbol.asyncDispose]();
      assert.deepEqual(await events.next(), { value: undefined, done: true });
      assert.equal(pubsub.subscriber.isRunning, false);
      assert.equal(pubsub.publisher.closed, true);
    });

    it("onEvent gets subscriber_queue_size: past it, a driver that cannot pause counts the overflow", async () => {
      const pending = [];
      const pubsub = await load({
        overrides: { ...memory.overrides, subscriber_queue_size: 1 },
        onEvent: () => new Promise((resolve) => pending.push(resolve)),
      });
      try {
        for (const key of ["1", "2", "3"]) await pubsub.publisher.sendEvent({ table: "t", key, action: "set", value: null });
        assert.equal(pubsub.subscriber.stats.overflowed, 1);
        assert.throws(() => pubsub.events(), { code: "PUBSUB_ERR_STATE", message: /started with onEvent/ });
      } finally {
        for (const resolve of pending) resolve();
        await pubsub.close();
      }
    });

    it("an aborted signal rejects with its reason; aborted later, it closes the agents", async () => {
      const reason = new Error("aborted (expected by the test)");
      await assert.rejects(load({ ...memory, signal: AbortSignal.abort(reason) }), (err) => err === reason);
      assert.deepEqual(globalThis.__memoryDriverCalls, []);
      const controller = new AbortController();
      const pubsub = await load({ ...memory, signal: controller.signal, onEvent: () => undefined });
      assert.equal(pubsub.subscriber.isRunning, true);
      controller.abort();
      await afterTurns(() => pubsub.publisher.closed);
      assert.equal(pubsub.subscriber.isRunning, false);
    });
  });
});
