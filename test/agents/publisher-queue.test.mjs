// publisher_queue_size: what a publisher holds unwritten is bounded. Past it sendEvent
// rejects at once, the event unsent and unnumbered, so subscribers see no gap; a caller
// that awaits each sendEvent never reaches it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { Session, freePort, waitForFlow } from "../../dist/testing.js";
import { configFor, quietContext } from "../helpers/zmq.mjs";

/** A network publisher and one subscriber with `publisher_queue_size` set, the flow checked. */
async function pair(t, queueSize) {
  const port = await freePort();
  const address = `tcp://127.0.0.1:${port}`;
  const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", publisher_queue_size: queueSize });
  const api = createZmqNetworkDriver(config, quietContext("network"));
  const session = new Session();
  t.after(() => session.close());
  const { subscriber, got } = await session.subscriber({ api, address }, [address], []);
  const publisher = await session.publisher({ api, address });
  await waitForFlow(publisher, [got]);
  return { publisher, subscriber, got };
}

const event = (key) => ({ table: "t", key, action: "set", value: key });

describe("publisher_queue_size", () => {
  it("refuses at once what passes it, with PUBSUB_ERR_SEND naming the option; the rest is sent, with no gap", async (t) => {
    const { publisher, subscriber, got } = await pair(t, 3);
    // Not awaited: the first is being written, three wait, the fifth and sixth find the queue full.
    const sent = ["a", "b", "c", "d", "e", "f"].map((key) =>
      publisher.sendEvent(event(key)).then(
        () => "sent",
        (err) => err,
      ),
    );
    const outcomes = await Promise.all(sent);
    assert.deepEqual(outcomes.slice(0, 4), ["sent", "sent", "sent", "sent"]);
    for (const err of outcomes.slice(4)) {
      assert.equal(err.code, "PUBSUB_ERR_SEND");
      assert.match(err.message, /^sendEvent\(\): publisher_queue_size: 3 messages wait to be written already .*raise publisher_queue_size/);
    }
    // Awaited, one at a time: never refused.
    for (const key of ["g", "h", "i", "j", "k"]) await publisher.sendEvent(event(key));
    await got.until(() => got.count("t") === 9, "the 9 events sent");
    assert.deepEqual(
      got.of("t").map((e) => e.key),
      ["a", "b", "c", "d", "g", "h", "i", "j", "k"],
    );
    assert.equal(subscriber.stats.gaps, 0, "a refused event takes no sequence number");
    assert.equal(got.syncs, 0);
  });

  it("0 sets no limit", async (t) => {
    const { publisher, got } = await pair(t, 0);
    const keys = Array.from({ length: 2_000 }, (_, i) => String(i));
    await Promise.all(keys.map((key) => publisher.sendEvent(event(key))));
    await got.until(() => got.count("t") === keys.length, "every event");
  });
});
