// pubsub-run subscribe writing to a pipe whose reader goes away (EPIPE): it stops with
// exit 1 and one line, no stack trace. Real processes, real sockets.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { until } from "../../dist/testing.js";
import { processStarter } from "../helpers/process.mjs";
import { networkOnFreePort } from "../helpers/zmq.mjs";

const start = processStarter();

/** A network publisher on a free port, and `pubsub-run subscribe` connected to it. */
async function publisherAndSubscriber(t) {
  const { address, api, session } = await networkOnFreePort(t);
  const publisher = await session.publisher({ api, address });
  const subscriber = start(["subscribe", "--publisher", address, "--topic", "D"]);
  await publisher.whenSubscribers(1);
  let firsts = 0;
  await until(subscriber.waitForCount(/"table":"first"/, 1), "a first event at the subscriber", {
    probe: () => {
      firsts += 1;
      return publisher.sendEvent({ table: "first", key: String(firsts), action: "set", value: firsts });
    },
  });
  return { publisher, subscriber };
}

describe("pubsub-run subscribe, stdout gone", () => {
  it("exits 1 with one line when the reader goes away (EPIPE)", async (t) => {
    const { publisher, subscriber } = await publisherAndSubscriber(t);
    subscriber.child.stdout.destroy(); // the reader exits
    let sent = 0;
    const { code } = await until(subscriber.exited, "the subscriber to stop once stdout is gone", {
      probe: () => {
        sent += 1;
        return publisher.sendEvent({ table: "after", key: String(sent), action: "set", value: sent });
      },
    });
    assert.equal(code, 1);
    const line = subscriber.stderr.find((l) => l.includes("stdout failed"));
    assert.match(line ?? "", /^pubsub-run subscribe: stdout failed \(EPIPE\) after \d+ lines: the reader went away; stopped$/);
    assert.ok(!subscriber.stderr.some((l) => /^\s+at /.test(l)), `no stack trace:\n${subscriber.stderr.join("\n")}`);
  });
});
