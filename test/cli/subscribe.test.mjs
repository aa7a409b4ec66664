// pubsub-run subscribe with everything taken from a config file: the publishers it
// connects to and the topics it registers.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort } from "../../dist/testing.js";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";
import { CliProcess, stopAll } from "../helpers/process.mjs";
import { socketDir } from "../helpers/zmq.mjs";

const running = [];
after(() => stopAll(running));

describe("pubsub-run subscribe", () => {
  it("connects to the publishers of the config file when no --publisher is given", async () => {
    const port = await freePort();
    const socket = join(await socketDir(), "publisher.sock");
    const project = await makeProject({
      "pubsub.config.yaml": [
        `publisher_port: ${port}`,
        `publisher_multiproc_socket: ${socket}`,
        "publishers:",
        `  - tcp://127.0.0.1:${port}`,
        "topics: [D, tenant-a]",
        "",
      ].join("\n"),
    });
    try {
      const config = ["--config", join(project.dir, "pubsub.config.yaml")];
      const service = new CliProcess(["service", ...config]);
      running.push(service);
      await service.waitFor(/ready/);
      const subscriber = new CliProcess(["subscribe", "--count", "2", ...config]);
      running.push(subscriber);
      assert.equal(
        await subscriber.waitFor(/ready/),
        `pubsub-run subscribe: ready; topics D, tenant-a; publishers tcp://127.0.0.1:${port}`,
      );
      await subscriber.waitFor(new RegExp(`connected to tcp://127\\.0\\.0\\.1:${port}$`));
      const input = ['{"table":"t","key":"all","action":"set"}', '{"table":"t","key":"mine","action":"set","topic":"tenant-a"}', ""].join(
        "\n",
      );
      const published = await runCli(["publish", "--stdin", ...config], { input });
      assert.equal(published.code, 0, published.stderr);
      assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
      assert.deepEqual(
        subscriber.stdout.map((line) => JSON.parse(line)),
        [
          { table: "t", key: "all", action: "set", value: null, topic: "D" },
          { table: "t", key: "mine", action: "set", value: null, topic: "tenant-a" },
        ],
      );
      service.kill("SIGTERM");
      assert.deepEqual(await service.exit(), { code: 0, signal: null });
    } finally {
      await project.cleanup();
    }
  });
});
