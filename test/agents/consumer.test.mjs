// How the subscriber base hands events over: awaited handlers, concurrency per publisher,
// the queue's bound (pause or overflow + sync), object handlers, events() and AbortSignal.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StateError, SubscriberAgentBase } from "../../dist/index.js";
import { encodeEvent } from "../../dist/wire.js";
import { afterTurns, recordingLogger } from "../helpers/fixtures.mjs";

/** A subscriber with no transport: the test pushes what a driver would receive. */
class Fed extends SubscriberAgentBase {
  pauses = false;
  started = 0;
  stopped = 0;
  async start() {
    this.started += 1;
  }
  async stop() {
    this.stopped += 1;
  }
  onListenAddressAdded() {}
  onListenAddressRemoved() {}
  onTopicAdded() {}
  onTopicRemoved() {}
  get pausesTransport() {
    return this.pauses;
  }
  push(table, key) {
    this.dispatch({ table, key, action: "set", value: key, topic: "D" });
  }
  /** An event stamped by `publisherId` with `sequence` (1, 2, ...), as a driver receives it. */
  pushFrom(publisherId, sequence, key) {
    this.receive("D", encodeEvent({ table: "t", key, action: "set", value: key }, "D", { publisherId, sequence }));
  }
  sync() {
    this.dispatchSync();
  }
  room() {
    return this.backlog();
  }
}

function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

/** A handler that records calls and keeps each call's promise pending until released. */
function gated() {
  const calls = [];
  const gates = [];
  let active = 0;
  let maxActive = 0;
  const handler = (table, key, action) => {
    calls.push(action === "sync" ? "sync" : key);
    const gate = deferred();
    gates.push(gate);
    active += 1;
    maxActive = Math.max(maxActive, active);
    return gate.promise.then(() => {
      active -= 1;
    });
  };
  return {
    calls,
    handler,
    get maxActive() {
      return maxActive;
    },
    /** Releases every call made so far, and waits for the queue to move on. */
    async releaseAll() {
      for (const gate of gates.splice(0)) gate.resolve();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

async function running(options = {}, handler = () => undefined) {
  const sub = new Fed({ logger: recordingLogger() });
  sub.initialize(handler, options);
  await sub.daemonize();
  return sub;
}

describe("awaited handlers", () => {
  it("close() with events still queued for a busy handler counts them as dropped and says so", async () => {
    const h = gated();
    const logger = recordingLogger();
    const sub = new Fed({ logger });
    sub.initialize(h.handler);
    await sub.daemonize();
    for (const key of ["1", "2", "3"]) sub.push("t", key);
    assert.deepEqual(h.calls, ["1"]);
    await sub.close();
    assert.equal(sub.stats.dropped, 2);
    assert.ok(
      logger.records.some((r) => r.level === "warn" && /^closed with 2 events still queued for the handler: dropped/.test(r.msg)),
      "a warning names the count",
    );
    await h.releaseAll();
    assert.deepEqual(h.calls, ["1"], "nothing is handed over after close()");
  });

  it("a synchronous callback is called for each event at once, positional arguments unchanged", async () => {
    const got = [];
    const sub = await running({}, (...args) => void got.push(args));
    sub.push("t", "1");
    sub.push("t", "2");
    assert.deepEqual(got, [
      ["t", "1", "set", "1", "D"],
      ["t", "2", "set", "2", "D"],
    ]);
    assert.equal(sub.stats.delivered, 2);
  });

  it("a promise is awaited before the next event is handed over", async () => {
    const h = gated();
    const sub = await running({}, h.handler);
    for (const key of ["1", "2", "3"]) sub.push("t", key);
    assert.deepEqual(h.calls, ["1"]);
    await h.releaseAll();
    assert.deepEqual(h.calls, ["1", "2"]);
    await h.releaseAll();
    await h.releaseAll();
    assert.deepEqual(h.calls, ["1", "2", "3"]);
    assert.equal(h.maxActive, 1);
  });

  it("concurrency runs publishers side by side, each publisher's events in order, sync alone", async () => {
    const h = gated();
    const sub = await running({ concurrency: 4 }, h.handler);
    sub.pushFrom("pub-a", 1, "a1");
    sub.pushFrom("pub-a", 2, "a2");
    sub.pushFrom("pub-b", 1, "b1");
    sub.pushFrom("pub-b", 2, "b2");
    assert.deepEqual(h.calls, ["a1", "b1"], "one call per publisher at a time");
    sub.sync();
    sub.pushFrom("pub-a", 3, "a3");
    await h.releaseAll();
    assert.deepEqual(h.calls, ["a1", "b1", "a2", "b2"]);
    await h.releaseAll();
    assert.deepEqual(h.calls.slice(4), ["sync"], "sync waits for every pending call and runs alone");
    await h.releaseAll();
    assert.deepEqual(h.calls.slice(5), ["a3"]);
    assert.equal(h.maxActive, 2);
  });

  it("a transport that cannot pause: past the queue, events are dropped, counted, and sync follows", async () => {
    const h = gated();
    const sub = await running({ queueSize: 2 }, h.handler);
    for (const key of ["1", "2", "3", "4", "5"]) sub.push("t", key);
    assert.equal(sub.stats.overflowed, 2);
    assert.equal(sub.stats.dropped, 2);
    for (let i = 0; i < 4; i += 1) await h.releaseAll();
    assert.deepEqual(h.calls, ["1", "2", "3", "sync"]);
    assert.equal(sub.stats.syncs, 1);
    sub.push("t", "6");
    await h.releaseAll();
    assert.deepEqual(h.calls, ["1", "2", "3", "sync", "6"]);
  });

  it("a transport that pauses: backlog() holds the driver while the queue is full, nothing is dropped", async () => {
    const h = gated();
    const sub = new Fed({ logger: recordingLogger() });
    sub.pauses = true;
    sub.initialize(h.handler, { queueSize: 2 });
    await sub.daemonize();
    sub.push("t", "1");
    assert.equal(sub.room(), undefined);
    sub.push("t", "2");
    sub.push("t", "3");
    const room = sub.room();
    assert.ok(room instanceof Promise, "full: the driver must wait");
    let free = false;
    void room.then(() => (free = true));
    sub.push("t", "4"); // a batch already received is still taken
    assert.equal(sub.stats.overflowed, 0);
    for (let i = 0; i < 4; i += 1) await h.releaseAll();
    assert.equal(free, true);
    assert.deepEqual(h.calls, ["1", "2", "3", "4"]);
  });

  it("a rejected promise is counted and the next event still comes", async () => {
    const calls = [];
    const sub = await running({}, async (table, key) => {
      calls.push(key);
      if (key === "1") throw new Error("handler failure (expected by the test)");
    });
    sub.push("t", "1");
    sub.push("t", "2");
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, ["1", "2"]);
    assert.equal(sub.stats.callbackErrors, 1);
  });

  it("refuses bad options and handlers with a message naming them", () => {
    const sub = new Fed({ logger: recordingLogger() });
    assert.throws(() => sub.initialize(() => undefined, { concurrency: 0 }), /options\.concurrency must be a positive integer \(got 0\)/);
    assert.throws(() => sub.initialize(() => undefined, { queueSize: 1.5 }), /options\.queueSize must be a positive integer/);
    assert.throws(() => sub.initialize({ onevent() {} }), /a function or an object with an onEvent method \(got object\)/);
  });
});

describe("object handlers", () => {
  it("onEvent gets each event as an object, sync included, and may be awaited", async () => {
    const got = [];
    const handler = {
      async onEvent(event) {
        got.push(event);
        assert.equal(this, handler);
      },
    };
    const sub = await running({}, handler);
    sub.push("lport", "p1");
    sub.sync();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(got, [
      { table: "lport", key: "p1", action: "set", value: "p1", topic: "D" },
      { table: null, key: null, action: "sync", value: null, topic: null },
    ]);
  });
});

describe("events()", () => {
  it("yields events as objects, sync as an event, starts the subscriber and closes it on break", async () => {
    const sub = new Fed({ logger: recordingLogger() });
    const iterator = sub.events();
    const first = iterator.next();
    await afterTurns(() => sub.isRunning);
    sub.push("t", "1");
    sub.sync();
    sub.push("t", "2");
    assert.deepEqual((await first).value, { table: "t", key: "1", action: "set", value: "1", topic: "D" });
    const seen = [];
    for await (const event of iterator) {
      seen.push(event.action === "sync" ? "sync" : event.key);
      if (event.key === "2") break;
    }
    assert.deepEqual(seen, ["sync", "2"]);
    assert.equal(sub.isRunning, false, "break closed the subscriber");
    assert.equal(sub.stopped, 1);
  });

  it("a full buffer holds the handler back, and the queue behind it pauses the transport", async () => {
    const sub = new Fed({ logger: recordingLogger() });
    sub.pauses = true;
    const iterator = sub.events({ bufferSize: 2, queueSize: 2 });
    await sub.daemonize();
    for (let i = 1; i <= 5; i += 1) sub.push("t", String(i));
    assert.ok(sub.room() instanceof Promise, "buffer (2) and queue (2) full: the transport must wait");
    const keys = [];
    for (let i = 0; i < 5; i += 1) keys.push((await iterator.next()).value.key);
    assert.deepEqual(keys, ["1", "2", "3", "4", "5"]);
    assert.equal(sub.stats.overflowed, 0);
    await iterator.return();
  });

  it("close() ends the iteration after the events already buffered", async () => {
    const sub = new Fed({ logger: recordingLogger() });
    const iterator = sub.events();
    await sub.daemonize();
    sub.push("t", "1");
    await sub.close();
    assert.equal((await iterator.next()).value.key, "1");
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  });

  it("an aborted signal ends the loop with its reason and closes the subscriber", async () => {
    const sub = new Fed({ logger: recordingLogger() });
    const controller = new AbortController();
    const iterator = sub.events({ signal: controller.signal });
    await sub.daemonize();
    const pending = iterator.next();
    controller.abort(new Error("stop (expected by the test)"));
    await assert.rejects(pending, /stop \(expected by the test\)/);
    await afterTurns(() => sub.stopped === 1);
    assert.equal(sub.isRunning, false);
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  });
});

describe("AbortSignal and AsyncDisposable", () => {
  it("daemonize({ signal }) already aborted starts nothing; aborted later, the subscriber closes", async () => {
    const sub = new Fed({ logger: recordingLogger() });
    sub.initialize(() => undefined);
    await assert.rejects(sub.daemonize({ signal: AbortSignal.abort() }), { name: "AbortError" });
    assert.equal(sub.started, 0);
    const controller = new AbortController();
    await sub.daemonize({ signal: controller.signal });
    assert.equal(sub.isRunning, true);
    controller.abort();
    await afterTurns(() => sub.stopped === 1);
    assert.equal(sub.isRunning, false);
  });

  it("daemonize() called twice at once starts the transport once", async () => {
    const sub = new Fed({ logger: recordingLogger() });
    sub.initialize(() => undefined);
    await Promise.all([sub.daemonize(), sub.daemonize()]);
    assert.equal(sub.started, 1);
    await sub.close();
  });

  it("Symbol.asyncDispose closes the subscriber", async () => {
    const sub = await running();
    await sub[Symbol.asyncDispose]();
    assert.equal(sub.isRunning, false);
    assert.equal(sub.stopped, 1);
    await assert.rejects(sub.daemonize(), StateError);
  });
});
