// redis.max_message_bytes and nats.max_message_bytes, on real servers: a publisher
// refuses an event past the limit, naming the option, without taking a sequence number
// (its subscribers see no gap); a subscriber drops a larger message unread, counts it,
// logs the option and gives its callback "sync", and keeps receiving.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pack, unpack } from "msgpackr";
import createNatsDriver from "../../dist/drivers/nats.js";
import createRedisDriver from "../../dist/drivers/redis.js";
import { Session, waitForFlow } from "../../dist/testing.js";
import { encodeEvent, encodeTopic } from "../../dist/wire.js";
import { recordingLogger } from "../helpers/fixtures.mjs";
import { brokerSkipReason, startNats, startRedis } from "../helpers/servers.mjs";
import { configFor } from "../helpers/zmq.mjs";

const LIMIT = 4096;
const big = (key) => ({ table: "big", key, action: "set", value: "x".repeat(2 * LIMIT) });
const small = (key) => ({ table: "small", key, action: "set", value: "x" });

const BROKERS = [
  { section: "redis", create: createRedisDriver, start: startRedis, binary: "redis-server", at: (server) => ({ url: server.url }) },
  { section: "nats", create: createNatsDriver, start: startNats, binary: "nats-server", at: (server) => ({ servers: [server.url] }) },
];

for (const broker of BROKERS) {
  const option = `${broker.section}.max_message_bytes`;

  describe(option, { skip: brokerSkipReason(broker.binary) }, () => {
    let server;
    before(async () => {
      server = await broker.start();
    });
    after(() => server?.close());

    /** A driver whose section has `max_message_bytes: limit`, logging to `logger`. */
    const driverWith = async (limit, logger = recordingLogger()) => {
      const config = await configFor({ [broker.section]: { ...broker.at(server), max_message_bytes: limit } });
      return { api: broker.create(config, { role: "network", logger }), address: server.url, logger };
    };

    /** A subscriber of `receiver` and a publisher of `sender`, events flowing between them; closed after test `t`. */
    const flowing = async (t, sender, receiver = sender) => {
      const session = new Session();
      t.after(() => session.close());
      const { subscriber, got } = await session.subscriber(receiver);
      const publisher = await session.publisher(sender);
      await waitForFlow(publisher, [got]);
      return { subscriber, got, publisher };
    };

    it("a publisher refuses an event past the limit, naming the option; it takes no sequence number, so no gap", async (t) => {
      const endpoint = await driverWith(LIMIT);
      const { subscriber, got, publisher } = await flowing(t, endpoint);
      await assert.rejects(publisher.sendEvent(big("1")), (err) => {
        assert.equal(err.code, "PUBSUB_ERR_SEND");
        assert.equal(err.option, option);
        assert.match(
          err.message,
          new RegExp(
            `^${option.replace(".", "\\.")}: an event of \\d+ bytes is larger than the limit \\(4096\\); send smaller events, or raise ${option.replace(".", "\\.")}`,
          ),
        );
        return true;
      });
      await publisher.sendEvent(small("2"));
      await got.until(() => got.count("small") === 1, "the small event after the refused one");
      assert.equal(got.count("big"), 0);
      assert.equal(subscriber.stats.gaps, 0, "the refused event took no number");
      assert.equal(got.syncs, 0);
    });

    it("a subscriber drops a larger message unread, counts and logs it, gives the callback sync, and keeps receiving", async (t) => {
      const sender = await driverWith(16 * LIMIT);
      const receiver = await driverWith(LIMIT);
      const { subscriber, got, publisher } = await flowing(t, sender, receiver);
      const syncsBefore = got.syncs;
      await publisher.sendEvent(big("1"));
      await publisher.sendEvent(small("2"));
      await got.until(() => got.count("small") === 1, "the small event after the big one");
      assert.equal(got.count("big"), 0, "the big event is not delivered");
      assert.equal(subscriber.stats.undecodable, 1);
      assert.ok(got.syncs > syncsBefore, "the callback got sync for the dropped message");
      const line = receiver.logger.records.find((record) => /undecodable/.test(record.msg ?? ""));
      assert.ok(line, "the drop is logged");
      assert.match(line.obj.err.message, new RegExp(`a message of \\d+ bytes is larger than ${option.replace(".", "\\.")} \\(4096\\)`));
    });

    it("a batch relayed from a worker goes out one event a message, each held to the limit, not the whole batch", async (t) => {
      const endpoint = await driverWith(LIMIT);
      const { got, publisher } = await flowing(t, endpoint);
      // What a batching worker hands the publisher service: a MessagePack array of events, past the limit as a whole.
      const events = Array.from({ length: 8 }, (_, i) => ({ table: "relayed", key: String(i), action: "set", value: "x".repeat(1000) }));
      const batch = pack(events.map((event) => unpack(encodeEvent(event, "D"))));
      assert.ok(batch.length > LIMIT);
      await publisher.sendFrames(encodeTopic("D"), batch);
      await got.until(() => got.count("relayed") === 8, "the 8 events of the batch");
      const tooBig = pack([unpack(encodeEvent(big("1"), "D"))]);
      await assert.rejects(publisher.sendFrames(encodeTopic("D"), tooBig), { code: "PUBSUB_ERR_SEND", option });
    });

    it("0 takes any size", async (t) => {
      const endpoint = await driverWith(0);
      const { got, publisher } = await flowing(t, endpoint);
      await publisher.sendEvent(big("1"));
      await got.until(() => got.count("big") === 1, "the big event");
    });
  });
}
