// pubsub-run with the broker drivers, as real processes on real servers: the same
// commands, one line of config changed. Publishers go straight to the broker
// (pub_sub_use_multiproc: false), or through the publisher service, which relays to
// the broker when the config asks for it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../dist/testing.js";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";
import { processStarter } from "../helpers/process.mjs";
import { brokerSkipReason, startNats, startRedis } from "../helpers/servers.mjs";
import { socketDir } from "../helpers/zmq.mjs";

const start = processStarter();

const brokers = [
  { driver: "redis_pubsub_driver", binary: "redis-server", start: startRedis, section: (url) => `redis:\n  url: ${url}\n` },
  { driver: "nats_pubsub_driver", binary: "nats-server", start: startNats, section: (url) => `nats:\n  servers: [${url}]\n` },
];

for (const broker of brokers) {
  describe(`pubsub-run with ${broker.driver}`, { skip: brokerSkipReason(broker.binary) }, () => {
    let server;
    let project;
    before(async () => {
      server = await broker.start();
      project = await makeProject({
        "pubsub.config.yaml": `pub_sub_driver: ${broker.driver}\npub_sub_use_multiproc: false\n${broker.section(server.url)}`,
      });
    });
    after(async () => {
      await project?.cleanup();
      await server?.close();
    });

    it("check: says it binds nothing and publishers go straight to the broker; publishers default to the broker", async () => {
      const { code, stdout, stderr } = await runCli(["check"], { cwd: project.dir });
      assert.equal(stderr, "");
      assert.equal(code, 0);
      const report = JSON.parse(stdout);
      assert.equal(report.drivers.network.name, broker.driver);
      assert.equal(report.drivers.network.module, `pubsub-run/drivers/${broker.driver.split("_")[0]}`);
      assert.deepEqual(report.config.publishers, [server.url]);
      assert.ok(report.notes.some((note) => /pub_sub_use_multiproc is false/.test(note)));
      const note = report.notes.find((text) => text.includes("broker driver"));
      assert.match(note, new RegExp(`^pub_sub_driver ${broker.driver} is a broker driver: it binds nothing`));
      assert.match(note, /every process publishes straight to the broker, no publisher service is needed$/);
    });

    it("check with pub_sub_use_multiproc: true explains that the service relays to the broker", async () => {
      const { code, stdout } = await runCli(["check", "--set", "pub_sub_use_multiproc=true"], { cwd: project.dir });
      assert.equal(code, 0);
      const report = JSON.parse(stdout);
      assert.equal(report.drivers.multiproc.name, "zmq_pubsub_multiproc_driver");
      const note = report.notes.find((text) => text.includes("broker driver"));
      assert.match(
        note,
        /pub_sub_use_multiproc is true, so workers publish into the publisher service .* relays their events to the broker/,
      );
      assert.match(note, /set pub_sub_use_multiproc: false to have every process publish straight to the broker$/);
    });

    it("publish goes straight to the broker; subscribe receives it", async () => {
      const subscriber = start(["subscribe", "--topic", "tenant-a", "--count", "2"], { cwd: project.dir });
      await subscriber.waitFor(new RegExp(`connected to ${server.url.replace(/[.]/g, "\\.")}`));
      for (const key of ["p1", "p2"]) {
        const sent = await runCli(
          ["publish", "--table", "lport", "--key", key, "--action", "create", "--value", '{"mtu":1450}', "--topic", "tenant-a"],
          { cwd: project.dir },
        );
        assert.equal(sent.code, 0, sent.stderr);
      }
      assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
      assert.deepEqual(
        subscriber.stdout.map((line) => JSON.parse(line)),
        [
          { table: "lport", key: "p1", action: "create", value: { mtu: 1450 }, topic: "tenant-a" },
          { table: "lport", key: "p2", action: "create", value: { mtu: 1450 }, topic: "tenant-a" },
        ],
      );
    });

    it("with pub_sub_use_multiproc: true, the publisher service relays workers' events to the broker", async () => {
      const socket = join(await socketDir(), "publisher.sock");
      const sets = ["--set", "pub_sub_use_multiproc=true", "--set", `publisher_multiproc_socket=${socket}`];
      const service = start(["service", "--json", ...sets], { cwd: project.dir });
      const ready = JSON.parse(await service.waitFor(/"msg":"ready/));
      assert.equal(ready.inbox, `ipc://${socket}`);
      assert.equal(ready.network, server.url);
      const subscriber = start(["subscribe", "--count", "100", ...sets], { cwd: project.dir });
      await subscriber.waitFor(/connected to/);
      const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ table: "w1", key: String(i), action: "set", value: i })).join(
        "\n",
      );
      const sent = await runCli(["publish", "--stdin", ...sets], { cwd: project.dir, input: `${lines}\n` });
      assert.equal(sent.code, 0, sent.stderr);
      assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
      const keys = subscriber.stdout
        .map((line) => JSON.parse(line))
        .filter((event) => event.action !== "sync")
        .map((event) => Number(event.key));
      assert.deepEqual(keys, [...Array(100).keys()]);
      service.kill("SIGTERM");
      assert.deepEqual(await service.exit(), { code: 0, signal: null });
    });

    it("a broker that stops answering: the service counts the relayed events it lost, says so when it stops, and exits 1", async () => {
      const own = await broker.start();
      after(() => own.close());
      const socket = join(await socketDir(), "publisher.sock");
      const section = broker.driver === "redis_pubsub_driver" ? "redis" : "nats";
      const sets = [
        ...["--set", "pub_sub_use_multiproc=true", "--set", `publisher_multiproc_socket=${socket}`],
        ...["--set", section === "redis" ? `redis.url=${own.url}` : `nats.servers=${own.url}`, "--set", `${section}.linger_ms=300`],
      ];
      const metrics = await freePort();
      const service = start(["service", "--json", "--metrics", `127.0.0.1:${metrics}`, ...sets], { cwd: project.dir });
      await service.waitFor(/"msg":"ready/);
      const scraped = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
      assert.match(scraped, /^pubsub_service_lost_total 0$/m);
      own.signal("SIGSTOP");
      const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ table: "w1", key: String(i), action: "set", value: i })).join(
        "\n",
      );
      // The service took them over and relayed them: the broker's client accepted them.
      const sent = await runCli(["publish", "--stdin", ...sets], { cwd: project.dir, input: `${lines}\n` });
      assert.equal(sent.code, 0, sent.stderr);
      service.kill("SIGTERM");
      assert.deepEqual(await service.exit(), { code: 1, signal: null });
      own.signal("SIGCONT");
      const stopped = JSON.parse(service.stderr.find((line) => line.includes('"msg":"stopped')));
      assert.equal(stopped.relayed, 5);
      assert.equal(stopped.lost, 5);
      assert.match(stopped.msg, /^stopped; 5 relayed events were lost by the network's transport \(lost\), exit 1$/);
    });

    it("demo: no publisher service; the workers publish straight to the broker and every event arrives in order", async () => {
      const { code, stdout, stderr } = await runCli(["demo", "--workers", "2", "--seconds", "2", "--rate", "500"], { cwd: project.dir });
      assert.equal(code, 0, stderr);
      assert.match(stderr, /ready: workers publish straight to the broker, subscriber connected; forking 2 workers/);
      assert.match(stdout, /^worker 1: sent (\d+), received \1, lost 0, out of order 0$/m);
      assert.match(stdout, /^worker 2: sent (\d+), received \1, lost 0, out of order 0$/m);
      assert.match(stdout, /^all \d+ events arrived, in order per worker$/m);
    });

    it("a broker that is not there: one line naming the option and the address, exit 1", async () => {
      const port = await freePort();
      const url = `${server.url.split(":")[0]}://127.0.0.1:${port}`;
      const section = broker.driver === "redis_pubsub_driver" ? "redis.url" : "nats.servers";
      const value = broker.driver === "redis_pubsub_driver" ? url : JSON.stringify([url]);
      const { code, stderr } = await runCli(["publish", "--table", "t", "--key", "k", "--action", "a", "--set", `${section}=${value}`], {
        cwd: project.dir,
      });
      assert.equal(code, 1);
      assert.match(
        stderr,
        new RegExp(
          `^pubsub-run: ${section.replace(".", "\\.")}: cannot connect to the (Redis|NATS) server at ${url.replace(/[.]/g, "\\.")}: .*connect_timeout_ms is 10000\\)\\n$`,
        ),
      );
    });
  });
}
