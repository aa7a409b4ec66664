// A third-party driver that connects to a broker works in every pubsub-run command with
// no change outside its own file: the loader and the CLI learn from its description
// that it binds nothing (no publisher service needed), where it sends and where its
// subscribers listen, and how long its publishers linger.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";
import { processStarter } from "../helpers/process.mjs";
import { brokerSkipReason, startRedis } from "../helpers/servers.mjs";

const DRIVER = fileURLToPath(new URL("../fixtures/drivers/redis-lite.mjs", import.meta.url));
const start = processStarter();

describe("pubsub-run with a third-party broker driver", { skip: brokerSkipReason("redis-server") }, () => {
  let server;
  let project;
  before(async () => {
    server = await startRedis();
    project = await makeProject({
      "pubsub.config.yaml": `pub_sub_driver: ${DRIVER}\npub_sub_use_multiproc: false\nredis:\n  url: ${server.url}\n`,
    });
  });
  after(async () => {
    await project?.cleanup();
    await server?.close();
  });

  it("check: reports what the driver says about itself", async () => {
    const { code, stdout, stderr } = await runCli(["check"], { cwd: project.dir });
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout);
    assert.equal(report.drivers.network.source, "path");
    assert.equal(report.drivers.network.topology, "broker");
    assert.equal(report.drivers.network.address, server.url);
    assert.deepEqual(report.config.publishers, [server.url]);
  });

  it("publish goes straight to the broker; subscribe listens at the driver's address and receives it", async () => {
    const subscriber = start(["subscribe", "--topic", "tenant-a", "--count", "3"], { cwd: project.dir });
    const ready = await subscriber.waitFor(/ready/);
    assert.match(ready, new RegExp(`publishers ${server.url.replace(/[.]/g, "\\.")}$`));
    const lines = ["a", "b", "c"].map((key) => JSON.stringify({ table: "lport", key, action: "create", value: 1, topic: "tenant-a" }));
    const sent = await runCli(["publish", "--stdin"], { cwd: project.dir, input: `${lines.join("\n")}\n` });
    assert.equal(sent.code, 0, sent.stderr);
    assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
    assert.deepEqual(
      subscriber.stdout.map((line) => JSON.parse(line).key),
      ["a", "b", "c"],
    );
  });

  it("demo: no publisher service, the workers publish straight to the broker, every event arrives in order", async () => {
    const { code, stdout, stderr } = await runCli(["demo", "--workers", "2", "--seconds", "2", "--rate", "500"], { cwd: project.dir });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /ready: workers publish straight to the broker, subscriber connected; forking 2 workers/);
    assert.match(stdout, /^all \d+ events arrived, in order per worker$/m);
  });
});
