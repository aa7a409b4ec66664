// What SIGINT/SIGTERM do to a command whose stop fails: one line on stderr, exit 1,
// never an unhandled rejection with a stack trace.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DIST_URL, makeProject } from "../helpers/fixtures.mjs";
import { CliProcess, stopAll } from "../helpers/process.mjs";

/** A network driver whose subscriber runs (a timer stands for its connection), but fails to close. */
const FAILING_CLOSE_DRIVER = `
import { SubscriberAgentBase } from ${JSON.stringify(DIST_URL)};

class StuckSubscriber extends SubscriberAgentBase {
  async start() { this.timer = setInterval(() => {}, 60_000); }
  async stop() {
    clearInterval(this.timer);
    throw new Error("the transport would not close", { cause: new Error("EBUSY") });
  }
  onListenAddressAdded() {}
  onListenAddressRemoved() {}
  onTopicAdded() {}
  onTopicRemoved() {}
}

export default function createStuckDriver(config, context) {
  return {
    getPublisher: () => { throw new Error("no publisher here"); },
    getSubscriber: () => new StuckSubscriber({ logger: context.logger }),
  };
}
`;

const running = [];
after(() => stopAll(running));

describe("pubsub-run: a stop that fails on a signal", () => {
  let project;
  before(async () => {
    project = await makeProject({
      "drivers/stuck.mjs": FAILING_CLOSE_DRIVER,
      "pubsub.config.yaml": "pub_sub_driver: ./drivers/stuck.mjs\npublishers: [stuck://1]\n",
    });
  });
  after(() => project.cleanup());

  for (const signal of ["SIGTERM", "SIGINT"]) {
    it(`${signal}: one line naming the failure, exit 1, no stack`, async () => {
      const subscriber = new CliProcess(["subscribe"], { cwd: project.dir });
      running.push(subscriber);
      await subscriber.waitFor(/ready/);
      subscriber.kill(signal);
      assert.deepEqual(await subscriber.exit(), { code: 1, signal: null });
      assert.deepEqual(subscriber.stderr.slice(1), [`pubsub-run: stopping after ${signal} failed: the transport would not close`]);
    });
  }

  it("--debug adds the stacks of the error and its cause", async () => {
    const subscriber = new CliProcess(["subscribe", "--debug"], { cwd: project.dir });
    running.push(subscriber);
    await subscriber.waitFor(/ready/);
    subscriber.kill("SIGTERM");
    assert.deepEqual(await subscriber.exit(), { code: 1, signal: null });
    const stderr = subscriber.stderr.join("\n");
    assert.match(
      stderr,
      /^pubsub-run: stopping after SIGTERM failed: the transport would not close\nError: the transport would not close\n\s+at /m,
    );
    assert.match(stderr, /^caused by: Error: EBUSY$/m);
  });
});
