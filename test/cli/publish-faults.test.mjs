// pubsub-run publish when the publisher service stops reading (SIGSTOP) and when publish
// itself gets SIGTERM/SIGINT: the exit code and one line with the exact counts, checked
// against what the service relayed once it was let go on (SIGCONT).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { processStarter } from "../helpers/process.mjs";
import { eventLines, topologyFlags } from "../helpers/zmq.mjs";

const start = processStarter();

/** Short enough for a quick test, long enough for a busy machine to read a window of stdin. */
const LINGER_MS = 1000;
const sets = () => topologyFlags(LINGER_MS);
const lines = eventLines;

/** A running service (JSON logs), and a subscriber of it when asked for. */
async function topology(flags, port, { subscriber = false } = {}) {
  const service = start(["service", "--json", ...flags]);
  await service.waitFor(/"msg":"ready/);
  if (!subscriber) return { service };
  const sub = start(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, ...flags]);
  await sub.waitFor(/connected to tcp:\/\/127\.0\.0\.1/);
  return { service, subscriber: sub };
}

/** Stops the service (it relays what it had received first) and returns its `relayed` counter. */
async function relayedBy(service) {
  service.kill("SIGCONT");
  service.kill("SIGTERM");
  assert.deepEqual(await service.exit(), { code: 0, signal: null });
  const stopped = service.stderr.map((line) => JSON.parse(line)).find((record) => record.msg === "stopped");
  return stopped.relayed;
}

/** The reason of an event the multiproc publisher gave up on when it closed. */
function gaveUp(socket) {
  return `the publisher closed before this event could be sent (zmq.linger_ms of ${LINGER_MS} ms expired); publisher_multiproc_socket: no publisher service took it at ipc://${socket}; is 'pubsub-run service' running?`;
}

/** publish's own lines on stderr, after checking none is a stack frame. */
function ownLines(publish) {
  assert.ok(!publish.stderr.some((line) => /^\s+at /.test(line)), `no stack trace:\n${publish.stderr.join("\n")}`);
  return publish.stderr.filter((line) => line.startsWith("pubsub-run"));
}

describe("pubsub-run publish: a publisher service that stops reading", () => {
  it("stopped before the first send: reads one window, exit 1, all of it not sent from line 1 on; nothing relayed", async () => {
    const { port, socket, flags } = await sets();
    const { service } = await topology(flags, port);
    service.kill("SIGSTOP");
    try {
      const publish = start(["publish", "--stdin", ...flags]);
      publish.write(lines(0, 5000), true);
      assert.deepEqual(await publish.exit(), { code: 1, signal: null });
      assert.deepEqual(ownLines(publish), [
        `pubsub-run publish: 1024 of 1024 events read from stdin not sent, from line 1 on: ${gaveUp(socket)}; stopped reading stdin after line 1024, as none was taken for ${LINGER_MS} ms (zmq.linger_ms)`,
      ]);
    } finally {
      service.kill("SIGCONT");
    }
    assert.equal(await relayedBy(service), 0);
  });

  it("stopped mid-burst: noticed, exit 1; the events before the first line not sent were relayed, in order, and no other", async () => {
    const { port, flags } = await sets();
    const { service, subscriber } = await topology(flags, port, { subscriber: true });
    const publish = start(["publish", "--stdin", ...flags]);
    publish.write(lines(0, 1000));
    await subscriber.waitForLines(1000); // the service reads: the PUSH connection is up
    service.kill("SIGSTOP");
    let report;
    try {
      publish.write(lines(1000, 50_000), true);
      report = await publish.waitFor(/not sent/);
    } finally {
      service.kill("SIGCONT"); // before publish exits: what its socket still holds gets through
    }
    assert.deepEqual(await publish.exit(), { code: 1, signal: null });
    assert.deepEqual(ownLines(publish), [report]);
    const match =
      /^pubsub-run publish: (\d+) of (\d+) events read from stdin not sent, from line (\d+) on: .*; stopped reading stdin after line (\d+), as none was taken for 1000 ms \(zmq\.linger_ms\)$/.exec(
        report,
      );
    assert.ok(match, report);
    const [notSent, read, first, last] = match.slice(1).map(Number);
    assert.equal(last, read);
    assert.equal(first, read - notSent + 1, "the events not sent are the tail of what was read");
    assert.ok(first > 1000 && read < 50_000, report);
    assert.ok(notSent <= 1024, "at most a window in flight");

    const relayed = await subscriber.waitForCount(/"action":"set"/, first - 1);
    assert.equal(await relayedBy(service), first - 1, "every event before the first not sent, and none after");
    assert.deepEqual(
      relayed.map((line) => Number(JSON.parse(line).key)),
      [...Array(first - 1).keys()],
    );
  });
});

describe("pubsub-run publish: SIGTERM and SIGINT", () => {
  it("SIGTERM while the events wait for a stopped service: exit 1, the exact counts, no stack; nothing relayed", async () => {
    const { port, socket, flags } = await sets();
    const { service } = await topology(flags, port);
    service.kill("SIGSTOP");
    try {
      const publish = start(["publish", "--stdin", ...flags]);
      publish.write(lines(0, 10), true);
      await publish.waitFor(/end of stdin; handing the last 10 events/);
      publish.kill("SIGTERM");
      assert.deepEqual(await publish.exit(), { code: 1, signal: null });
      assert.deepEqual(ownLines(publish).slice(1), [
        `pubsub-run publish: 10 of 10 events read from stdin not sent, from line 1 on: ${gaveUp(socket)}`,
      ]);
    } finally {
      service.kill("SIGCONT");
    }
    assert.equal(await relayedBy(service), 0);
  });

  it("a second signal while waiting: exits at once, exit 1, saying how many are lost", async () => {
    const { port, flags } = await sets();
    const { service } = await topology(flags, port);
    service.kill("SIGSTOP");
    try {
      const publish = start(["publish", "--stdin", ...flags]);
      publish.write(lines(0, 10), true);
      await publish.waitFor(/end of stdin; handing the last 10 events/);
      publish.kill("SIGINT"); // two different signals: the kernel does not merge them
      publish.kill("SIGTERM");
      assert.deepEqual(await publish.exit(), { code: 1, signal: null });
      assert.equal(ownLines(publish).length, 2);
      assert.match(
        ownLines(publish)[1],
        /^pubsub-run publish: second SIG(INT|TERM): exiting at once; 10 of 10 events read from stdin not sent \(10 still waiting for the transport\)$/,
      );
    } finally {
      service.kill("SIGCONT");
    }
  });

  for (const signal of ["SIGTERM", "SIGINT"]) {
    it(`${signal} once every event read was sent: stops reading stdin, exit 0, says how far it read`, async () => {
      const { port, flags } = await sets();
      const { service, subscriber } = await topology(flags, port, { subscriber: true });
      const publish = start(["publish", "--stdin", ...flags]);
      publish.write(lines(0, 10)); // stdin stays open
      await subscriber.waitForLines(10);
      publish.kill(signal);
      assert.deepEqual(await publish.exit(), { code: 0, signal: null });
      assert.deepEqual(publish.stderr, [
        `pubsub-run publish: all 10 events read from stdin were sent; stopped reading stdin after line 10 on ${signal}`,
      ]);
      assert.equal(await relayedBy(service), 10);
    });
  }
});
