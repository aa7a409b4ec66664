// The suite as plain cases (conformanceCases), as a runner other than node:test gets it:
// one case per scenario of the table, skip reasons from the harness, and run() on its
// own with a session closed whatever happens.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { conformanceCases, freePort, scenarios } from "../../dist/testing.js";
import { configFor, quietContext } from "../helpers/zmq.mjs";

const zmqHarness = {
  name: "zmq over tcp",
  features: { topicFiltering: true, fanOut: "load balanced", restart: true, garbage: "no raw sender" },
  async endpoint() {
    const port = await freePort();
    const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" });
    return { api: createZmqNetworkDriver(config, quietContext("network")), address: `tcp://127.0.0.1:${port}` };
  },
};

describe("conformanceCases", () => {
  it("one case per scenario, in the table's order, skipped with the harness's reasons", () => {
    const cases = conformanceCases(zmqHarness);
    assert.deepEqual(
      cases.map((c) => c.id),
      Object.keys(scenarios),
    );
    assert.deepEqual(
      cases.map((c) => c.name),
      Object.values(scenarios).map((s) => s.title),
    );
    const skipped = Object.fromEntries(cases.filter((c) => c.skip !== false).map((c) => [c.id, c.skip]));
    assert.deepEqual(skipped, {
      invalidTopicsRefused: "the driver carries every topic (harness.invalidTopics is empty)",
      fanOut: "load balanced",
      garbage: "no raw sender",
    });
    const withInvalid = conformanceCases({ ...zmqHarness, invalidTopics: ["a b"] });
    assert.equal(withInvalid.find((c) => c.id === "invalidTopicsRefused").skip, false);
  });

  it("a case runs alone, outside describe()", async () => {
    await conformanceCases(zmqHarness)
      .find((c) => c.id === "topicRule")
      .run();
  });

  it("a case that fails still closes what its session opened", async () => {
    let closed = 0;
    const broken = {
      name: "broken",
      features: zmqHarness.features,
      async endpoint() {
        const api = {
          getPublisher: () => ({ initialize: async () => {}, close: async () => {} }),
          getSubscriber: () => {
            throw new Error("no subscriber here");
          },
        };
        return { api, address: "none", close: async () => (closed += 1) };
      },
    };
    await assert.rejects(
      conformanceCases(broken)
        .find((c) => c.id === "roundTrip")
        .run(),
      /no subscriber here/,
    );
    assert.equal(closed, 1);
  });
});
