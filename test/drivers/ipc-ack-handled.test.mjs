// The multiproc inbox confirms an event to its worker once the handler is done with it,
// not when it is queued: an inbox that closes with events still waiting for a busy
// handler has not confirmed them, so the worker sends them again to the next inbox.
// Real sockets: a worker (the multiproc publisher) and two inboxes on one socket path.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import createZmqMultiprocDriver from "../../dist/drivers/zmq-multiproc.js";
import { Session, until } from "../../dist/testing.js";
import { configFor, quietContext, socketDir } from "../helpers/zmq.mjs";

const EVENTS = 10;

/** Resolves once `condition()` holds, looked at on every probe. */
function whenTrue(condition, what) {
  let resolve;
  const held = new Promise((r) => (resolve = r));
  return until(held, what, { probe: () => condition() && resolve() });
}

describe("the multiproc inbox with a handler that returns promises", () => {
  it("confirms an event once the handler is done with it: what waited in the queue at close() goes to the next inbox", async (t) => {
    const path = join(await socketDir(), "publisher.sock");
    const config = await configFor({ publisher_multiproc_socket: path, zmq: { linger_ms: 10_000, multiproc_batch: false } });
    const multiproc = createZmqMultiprocDriver(config, quietContext("multiproc"));
    const session = new Session();
    t.after(() => session.close());

    // The first inbox's handler holds each event until the test lets it go.
    const handed = [];
    const gates = new Map();
    const first = multiproc.getSubscriber();
    first.initialize((_table, key) => {
      handed.push(key);
      return new Promise((resolve) => gates.set(key, resolve));
    });
    await first.daemonize();
    const worker = await session.publisher({ api: multiproc, address: `ipc://${path}` });
    for (let i = 0; i < EVENTS; i += 1) await worker.sendEvent({ table: "t", key: String(i), action: "set", value: i }, "D");

    await whenTrue(() => gates.has("0"), "the first event at the handler");
    gates.get("0")();
    await whenTrue(() => gates.has("1"), "the second event at the handler");
    // Event 0 is done and confirmed; 1 is with the handler, 2..9 wait in the queue.
    await whenTrue(() => worker.unconfirmed === EVENTS - 1, `the worker to hold ${EVENTS - 1} unconfirmed events`);
    await first.close();
    assert.equal(first.stats.dropped, EVENTS - 2, "the events still queued at close() are counted as dropped");
    for (const release of gates.values()) release();
    assert.deepEqual(handed, ["0", "1"]);

    const { got } = await session.subscriber({ api: multiproc, address: `ipc://${path}` });
    await got.until(() => got.count("t") === EVENTS - 1, `events 1..${EVENTS - 1} sent again to the next inbox`);
    assert.deepEqual(
      got.of("t").map((event) => event.key),
      [...Array(EVENTS - 1).keys()].map((i) => String(i + 1)),
    );
    await whenTrue(() => worker.unconfirmed === 0, "the next inbox to confirm them");
  });
});
