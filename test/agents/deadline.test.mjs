// The one deadline helper: the work's outcome or EXPIRED, -1 for no limit, its timer
// cleared; and the linger time PublisherAgentBase hands to release() once the queue
// drained. Timers are mocked: the tests move time, they do not wait for it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PublisherAgentBase } from "../../dist/index.js";
import { EXPIRED, within } from "../../dist/internal.js";

/** Lets every pending promise reaction run (setImmediate is not mocked). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** What `promise` settled with so far: "pending", { value } or { error }. */
function observe(promise) {
  const seen = { state: "pending" };
  promise.then(
    (value) => Object.assign(seen, { state: "resolved", value }),
    (error) => Object.assign(seen, { state: "rejected", error }),
  );
  return seen;
}

/** A promise and the functions that settle it. */
function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

describe("within(work, ms)", () => {
  it("resolves with the work's value when it settles first, and clears its timer", async () => {
    const before = timeouts();
    const work = deferred();
    const outcome = within(work.promise, 60_000);
    assert.equal(timeouts(), before + 1);
    work.resolve("done");
    assert.equal(await outcome, "done");
    assert.equal(timeouts(), before, "no timer left to hold the process open");
  });

  it("rejects with the work's error when it fails first, and clears its timer", async () => {
    const before = timeouts();
    const failure = new Error("refused");
    await assert.rejects(within(Promise.reject(failure), 60_000), (err) => err === failure);
    assert.equal(timeouts(), before);
  });

  it("resolves EXPIRED once ms passed, not before; a later failure of the work is not unhandled", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const unhandled = [];
    const onUnhandled = (reason) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    t.after(() => process.off("unhandledRejection", onUnhandled));
    const work = deferred();
    const seen = observe(within(work.promise, 100));
    t.mock.timers.tick(99);
    await settle();
    assert.equal(seen.state, "pending");
    t.mock.timers.tick(1);
    await settle();
    assert.deepEqual(seen, { state: "resolved", value: EXPIRED });
    work.reject(new Error("too late"));
    await settle();
    await settle();
    assert.deepEqual(unhandled, []);
  });

  it("EXPIRED is distinct from anything the work can resolve with", async () => {
    assert.equal(typeof EXPIRED, "symbol");
    assert.equal(await within(Promise.resolve("expired"), 10), "expired");
    assert.equal(await within(Promise.resolve(undefined), 10), undefined);
  });

  it("-1 means no limit: the work itself, no timer", async (t) => {
    const before = timeouts();
    const work = Promise.resolve(7);
    assert.equal(within(work, -1), work);
    assert.equal(timeouts(), before);
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const pending = deferred();
    const seen = observe(within(pending.promise, -1));
    t.mock.timers.tick(2 ** 31);
    await settle();
    assert.equal(seen.state, "pending");
    pending.resolve("late");
    await settle();
    assert.deepEqual(seen, { state: "resolved", value: "late" });
  });

  it("0 lets work that is already settled win", async () => {
    assert.equal(await within(Promise.resolve("ready"), 0), "ready");
    assert.equal(await within(new Promise(() => {}), 0), EXPIRED);
  });
});

/** A publisher whose writes finish when the test says, recording what release() got. */
class ManualPublisher extends PublisherAgentBase {
  writes = [];
  released = [];
  async open() {}
  write() {
    const write = deferred();
    this.writes.push(write);
    return write.promise;
  }
  async release(remainingMs) {
    this.released.push(remainingMs);
  }
}

const event = { table: "t", key: "k", action: "set", value: 1 };

describe("PublisherAgentBase: release(remainingMs)", () => {
  it("gets the linger time the queue's drain left", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
    const publisher = new ManualPublisher({ lingerMs: 1_000 });
    await publisher.initialize();
    const sent = publisher.sendEvent(event);
    const closed = publisher.close();
    t.mock.timers.tick(300);
    publisher.writes[0].resolve();
    await sent;
    await closed;
    assert.deepEqual(publisher.released, [700]);
  });

  it("gets 0 when the linger time ran out; the event left in the queue is refused", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
    const publisher = new ManualPublisher({ lingerMs: 200, lingerOption: "test.linger_ms" });
    await publisher.initialize();
    const first = observe(publisher.sendEvent(event));
    const second = observe(publisher.sendEvent(event));
    const closed = publisher.close();
    t.mock.timers.tick(200);
    await settle();
    assert.deepEqual(publisher.released, [0]);
    publisher.writes[0].resolve();
    await closed;
    assert.equal(first.state, "resolved");
    assert.equal(second.state, "rejected");
    assert.equal(second.error.code, "PUBSUB_ERR_SEND");
    assert.match(second.error.message, /test\.linger_ms of 200 ms expired/);
  });

  it("gets -1 with no linger limit", async () => {
    const publisher = new ManualPublisher({ lingerMs: -1 });
    await publisher.initialize();
    const sent = publisher.sendEvent(event);
    const closed = publisher.close();
    publisher.writes[0].resolve();
    await Promise.all([sent, closed]);
    assert.deepEqual(publisher.released, [-1]);
  });

  it("is not called when the publisher never opened", async () => {
    const publisher = new ManualPublisher({ lingerMs: 100 });
    await publisher.close();
    assert.deepEqual(publisher.released, []);
  });
});
