// A broker that goes away mid-burst and does not come back: `publish` must not exit 0.
// What the transport refused and what it had taken and then lost (never confirmed by
// the server) are counted, and with what the subscriber received they account for
// every event read.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { loadFromConfig } from "../../dist/index.js";
import { Collector } from "../../dist/testing.js";
import { makeProject, recordingLogger } from "../helpers/fixtures.mjs";
import { processStarter } from "../helpers/process.mjs";
import { brokerSkipReason, startNats, startRedis } from "../helpers/servers.mjs";

const start = processStarter();
const BURST = 50_000;

const brokers = [
  {
    driver: "redis_pubsub_driver",
    binary: "redis-server",
    startServer: startRedis,
    section: (url) => `redis:\n  url: ${url}\n  linger_ms: 1000\n  reconnect_interval_ms: 50\n`,
  },
  {
    driver: "nats_pubsub_driver",
    binary: "nats-server",
    startServer: startNats,
    section: (url) => `nats:\n  servers: [${url}]\n  linger_ms: 1000\n  reconnect_interval_ms: 50\n`,
  },
];

for (const broker of brokers) {
  describe(`pubsub-run publish with ${broker.driver}: the server gone mid-burst`, { skip: brokerSkipReason(broker.binary) }, () => {
    const cleanups = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it("exits 1; refused, lost and received account for every event read", async () => {
      const server = await broker.startServer();
      cleanups.push(() => server.close());
      const project = await makeProject({
        "pubsub.config.yaml": `pub_sub_driver: ${broker.driver}\npub_sub_use_multiproc: false\n${broker.section(server.url)}`,
      });
      cleanups.push(() => project.cleanup());
      const got = new Collector();
      const pubsub = await loadFromConfig({
        cwd: project.dir,
        env: {},
        publisher: false,
        onEvent: got.callback,
        logger: recordingLogger(),
      });
      cleanups.push(() => pubsub.close());

      const publish = start(["publish", "--stdin"], { cwd: project.dir });
      const lines = Array.from({ length: BURST }, (_, i) => JSON.stringify({ table: "b", key: String(i), action: "set", value: i }));
      publish.write(`${lines.join("\n")}\n`, true);
      await got.until(() => got.count("b") >= 2000, "2000 events at the subscriber");
      await server.stop();

      assert.deepEqual(await publish.exit(), { code: 1, signal: null });
      const report = publish.stderr.find((line) => /not sent|then lost/.test(line)) ?? "";
      const refused = Number(/(\d+) of \d+ events read from stdin not sent/.exec(report)?.[1] ?? 0);
      const lost = Number(/(\d+) (?:of \d+ events read from stdin|more) were taken by the transport and then lost/.exec(report)?.[1] ?? 0);
      const read = Number(/ of (\d+) events read from stdin/.exec(report)?.[1] ?? NaN);
      assert.ok(refused + lost > 0, `a loss reported: ${publish.stderr.join("\n")}`);
      assert.ok(got.count("b") + refused + lost >= read, `received ${got.count("b")} + refused ${refused} + lost ${lost} < read ${read}`);
    });
  });
}
