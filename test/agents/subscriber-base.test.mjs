import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SEND_ALL_TOPIC, StateError, SubscriberAgentBase, resolveTopic } from "../../dist/index.js";
import { encodeEvent } from "../../dist/wire.js";
import { recordingLogger } from "../helpers/fixtures.mjs";

/** A subscriber that records which hooks the base called. */
class HookRecorder extends SubscriberAgentBase {
  calls = [];
  async start() {
    this.calls.push(["start", [...this.topics], [...this.listenAddresses]]);
  }
  async stop() {
    this.calls.push(["stop"]);
  }
  onListenAddressAdded(uri) {
    this.calls.push(["addressAdded", uri]);
  }
  onListenAddressRemoved(uri) {
    this.calls.push(["addressRemoved", uri]);
  }
  onTopicAdded(topic) {
    this.calls.push(["topicAdded", topic]);
  }
  onTopicRemoved(topic) {
    this.calls.push(["topicRemoved", topic]);
  }
  push(event) {
    this.dispatch(event);
  }
  pushRaw(topic, payload) {
    this.receive(topic, payload);
  }
  pushSync() {
    this.dispatchSync();
  }
}

describe("SubscriberAgentBase", () => {
  it("starts with the send-to-all topic D registered", () => {
    const sub = new HookRecorder({ logger: recordingLogger() });
    assert.equal(SEND_ALL_TOPIC, "D");
    assert.deepEqual(sub.topics, ["D"]);
    assert.equal(sub.registerTopic("D"), false);
  });

  it("register returns true only when new, unregister only when present", () => {
    const sub = new HookRecorder({ logger: recordingLogger() });
    assert.equal(sub.registerTopic("t1"), true);
    assert.equal(sub.registerTopic("t1"), false);
    assert.equal(sub.unregisterTopic("t1"), true);
    assert.equal(sub.unregisterTopic("t1"), false);
    assert.equal(sub.registerListenAddress("tcp://h:1"), true);
    assert.equal(sub.registerListenAddress("tcp://h:1"), false);
    assert.deepEqual(sub.listenAddresses, ["tcp://h:1"]);
    assert.equal(sub.unregisterListenAddress("tcp://h:1"), true);
    assert.equal(sub.unregisterListenAddress("tcp://h:1"), false);
  });

  it("calls the live hooks only while running, and only for real changes", async () => {
    const sub = new HookRecorder({ logger: recordingLogger() });
    sub.registerTopic("before");
    sub.registerListenAddress("tcp://a:1");
    sub.initialize(() => {});
    await sub.daemonize();
    assert.equal(sub.isRunning, true);
    sub.registerTopic("after");
    sub.registerTopic("after");
    sub.unregisterTopic("missing");
    sub.registerListenAddress("tcp://b:2");
    sub.unregisterListenAddress("tcp://a:1");
    sub.unregisterTopic("before");
    await sub.close();
    assert.deepEqual(sub.calls, [
      ["start", ["D", "before"], ["tcp://a:1"]],
      ["topicAdded", "after"],
      ["addressAdded", "tcp://b:2"],
      ["addressRemoved", "tcp://a:1"],
      ["topicRemoved", "before"],
      ["stop"],
    ]);
  });

  it("refuses to start before initialize(callback), or after close()", async () => {
    const sub = new HookRecorder({ logger: recordingLogger() });
    await assert.rejects(sub.daemonize(), (err) => err instanceof StateError && err.code === "PUBSUB_ERR_STATE");
    sub.initialize(() => {});
    await sub.close();
    await assert.rejects(sub.daemonize(), /the subscriber is closed/);
  });

  it("close() twice stops once", async () => {
    const sub = new HookRecorder({ logger: recordingLogger() });
    sub.initialize(() => {});
    await sub.daemonize();
    await sub.close();
    await sub.close();
    assert.equal(sub.calls.filter((c) => c[0] === "stop").length, 1);
    assert.equal(sub.isRunning, false);
  });

  it("matches topics exactly: D does not receive Dx", async () => {
    const got = [];
    const sub = new HookRecorder({ logger: recordingLogger() });
    sub.initialize((table, key, action, value, topic) => got.push(topic));
    await sub.daemonize();
    sub.push({ table: "t", key: "k", action: "set", value: 1, topic: "Dx" });
    sub.push({ table: "t", key: "k", action: "set", value: 1, topic: "D" });
    assert.deepEqual(got, ["D"]);
    assert.equal(sub.stats.dropped, 1);
    assert.equal(sub.stats.delivered, 1);
  });

  it("keeps delivering after a callback throws or rejects, logging and counting each", async () => {
    const logger = recordingLogger();
    const sub = new HookRecorder({ logger });
    const got = [];
    sub.initialize((table, key) => {
      got.push(key);
      if (key === "throws") throw new Error("sync failure");
      if (key === "rejects") return Promise.reject(new Error("async failure"));
    });
    await sub.daemonize();
    for (const key of ["throws", "rejects", "fine"]) sub.push({ table: "t", key, action: "set", value: null, topic: "D" });
    await new Promise((resolve) => setImmediate(resolve)); // let the rejection handler run
    assert.deepEqual(got, ["throws", "rejects", "fine"]);
    assert.equal(sub.stats.callbackErrors, 2);
    assert.deepEqual(
      logger.records.map((r) => [r.level, r.obj.err.message]),
      [
        ["error", "sync failure"],
        ["error", "async failure"],
      ],
    );
  });

  it("logs undecodable messages once per burst, and the burst's total when a good one follows", async () => {
    const logger = recordingLogger();
    const sub = new HookRecorder({ logger });
    const got = [];
    sub.initialize((table, key) => got.push(key));
    await sub.daemonize();
    const good = (key) => sub.pushRaw("D", encodeEvent({ table: "t", key, action: "set", value: null }, "D"));
    for (let i = 0; i < 5; i += 1) sub.pushRaw("D", Buffer.from([0xc1]));
    good("after-5");
    sub.pushRaw("D", Buffer.from([0xc1]));
    good("after-1");
    for (let i = 0; i < 3; i += 1) sub.pushRaw("D", Buffer.from([0xc1]));
    good("after-3");
    assert.deepEqual(got, ["after-5", "after-1", "after-3"]);
    assert.deepEqual(
      logger.records.map((r) => [r.level, r.msg.replace(/;.*/, ""), r.obj.undecodable ?? r.obj.dropped]),
      [
        ["warn", "dropped an undecodable message", 1],
        ["warn", "a burst of undecodable messages ended", 5],
        ["warn", "dropped an undecodable message", 6],
        ["warn", "dropped an undecodable message", 7],
        ["warn", "a burst of undecodable messages ended", 3],
      ],
    );
    assert.equal(sub.stats.undecodable, 9);
  });

  it("a burst that lasts is logged again every 10 seconds, not per message", async (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
    const logger = recordingLogger();
    const sub = new HookRecorder({ logger });
    sub.initialize(() => {});
    await sub.daemonize();
    const garbage = () => sub.pushRaw("D", Buffer.from([0xc1]));
    for (let i = 0; i < 100; i += 1) garbage();
    t.mock.timers.tick(9_999);
    garbage();
    t.mock.timers.tick(1);
    garbage();
    for (let i = 0; i < 100; i += 1) garbage();
    assert.deepEqual(
      logger.records.map((r) => r.obj.undecodable),
      [1, 102],
    );
  });

  it("sends the sync notice as (null, null, 'sync', null, null)", async () => {
    const got = [];
    const sub = new HookRecorder({ logger: recordingLogger() });
    sub.initialize((...args) => got.push(args));
    await sub.daemonize();
    sub.pushSync();
    assert.deepEqual(got, [[null, null, "sync", null, null]]);
  });
});

describe("resolveTopic()", () => {
  it("applies topic ?? update.topic ?? 'D'", () => {
    const update = { table: "t", key: "k", action: "set", value: 1, topic: "mine" };
    assert.equal(resolveTopic(update, "explicit"), "explicit");
    assert.equal(resolveTopic(update), "mine");
    assert.equal(resolveTopic({ ...update, topic: null }), "D");
    assert.equal(resolveTopic({ table: "t", key: "k", action: "set", value: 1 }), "D");
  });
});
