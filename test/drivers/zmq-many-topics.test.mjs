// A network subscriber of more topics than libzmq's default send high-water mark (1,000):
// libzmq drops a SUB's subscription past that mark without a word, on every connection,
// before the connection is up, so such a subscriber used to get events on about 1,000 of
// its topics only. Real sockets on 127.0.0.1.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { until } from "../../dist/testing.js";
import { networkOnFreePort } from "../helpers/zmq.mjs";

const TOPICS = Array.from({ length: 3_000 }, (_, i) => `tenant-${String(i).padStart(5, "0")}`);

describe("zmq_pubsub_driver: a subscriber of 3,000 topics", () => {
  it("receives events on every one of them", async (t) => {
    const { address, api, session } = await networkOnFreePort(t);
    const { got } = await session.subscriber({ api, address }, [address], TOPICS);
    const publisher = await session.publisher({ api, address });
    await publisher.whenSubscribers(1);

    const reached = () => new Set(got.of("t").map((event) => event.topic));
    // Each probe sends once on every topic not reached yet (a topic whose subscription has
    // not reached the publisher yet drops its event), one probe at a time.
    let probing = false;
    await until(
      got.until(() => reached().size === TOPICS.length, "an event on every topic"),
      "an event on every one of 3,000 topics",
      {
        timeoutMs: 30_000,
        status: () => `${reached().size} of ${TOPICS.length} topics reached`,
        probe: async () => {
          if (probing) return;
          probing = true;
          const seen = reached();
          for (const topic of TOPICS)
            if (!seen.has(topic)) await publisher.sendEvent({ table: "t", key: topic, action: "set", value: null }, topic);
          probing = false;
        },
      },
    );
    assert.deepEqual([...reached()].sort(), TOPICS);
  });
});
