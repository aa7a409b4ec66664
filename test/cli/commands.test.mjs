// pubsub-run service, subscribe, publish and demo: their error paths (one line, exit
// code 2), --help, and the demo end to end.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort } from "../../dist/testing.js";
import { runCli } from "../helpers/cli.mjs";
import { CliProcess, stopAll } from "../helpers/process.mjs";
import { socketDir } from "../helpers/zmq.mjs";

const running = [];
after(() => stopAll(running));

async function sets() {
  const port = await freePort();
  const socket = join(await socketDir(), "publisher.sock");
  return { port, socket, flags: ["--set", `publisher_port=${port}`, "--set", `publisher_multiproc_socket=${socket}`] };
}

/** Runs the CLI and checks it failed with exit code 2 and one line on stderr matching `message`. */
async function failsWith(args, message, options) {
  const { code, stderr, stdout } = await runCli(args, options);
  assert.equal(code, 2, `exit code; stderr: ${stderr}`);
  assert.equal(stdout, "");
  assert.match(stderr, /^[^\n]+\n$/, "one line on stderr");
  assert.match(stderr.trimEnd(), message);
}

describe("pubsub-run service: start-up errors", () => {
  it("port in use: names the port and publisher_port", async () => {
    const { port, flags } = await sets();
    const holder = createServer();
    await new Promise((resolve) => holder.listen(port, "0.0.0.0", resolve));
    try {
      await failsWith(
        ["service", ...flags],
        new RegExp(
          `^pubsub-run: --set publisher_port: publisher_port: cannot bind tcp://\\*:${port}: address already in use; .*--set publisher_port=`,
        ),
      );
    } finally {
      holder.close();
    }
  });

  it("socket path not writable: names the path and publisher_multiproc_socket", async () => {
    const { flags } = await sets();
    const file = join(await socketDir(), "a-file");
    await writeFile(file, "");
    await failsWith(
      ["service", ...flags, "--set", `publisher_multiproc_socket=${file}/sub/publisher.sock`],
      new RegExp(
        `^pubsub-run: --set publisher_multiproc_socket: publisher_multiproc_socket: directory ${file}/sub is not writable \\(ENOTDIR\\); choose another with --set publisher_multiproc_socket=<path>$`,
      ),
    );
  });

  it(
    "a directory that cannot be created under /proc: exit 2 at once, not a hang",
    { skip: !existsSync("/proc/self") && "no /proc here", timeout: 20_000 },
    async () => {
      const { flags } = await sets();
      await failsWith(
        ["service", ...flags, "--set", "publisher_multiproc_socket=/proc/pubsub-test/x/publisher.sock"],
        /^pubsub-run: --set publisher_multiproc_socket: publisher_multiproc_socket: directory \/proc\/pubsub-test\/x is not writable \([A-Z]+\); choose another with --set publisher_multiproc_socket=<path>$/,
      );
    },
  );

  it("unsupported transport: lists the supported ones", async () => {
    const { flags } = await sets();
    await failsWith(
      ["service", ...flags, "--set", "publisher_transport=udp"],
      /^pubsub-run: --set publisher_transport: publisher_transport: unsupported transport 'udp' for the ZeroMQ driver; supported here: tcp, ipc/,
    );
  });

  it("pub_sub_use_multiproc false: no service is needed", async () => {
    await failsWith(
      ["service", "--set", "pub_sub_use_multiproc=false"],
      /^pubsub-run: --set pub_sub_use_multiproc: pub_sub_use_multiproc is false: publishers send straight to the network, so no publisher service is needed/,
    );
  });

  it("a bad flag value", async () => {
    await failsWith(["service", "--stats", "0"], /^pubsub-run service: --stats: must be a number of seconds > 0 \(got "0"\)$/);
    await failsWith(["service", "--wait-subscribers", "x"], /^pubsub-run service: --wait-subscribers: must be a whole number >= 0/);
  });
});

describe("pubsub-run publish and subscribe: errors", () => {
  it("publish without --table/--key/--action, or with a --value that is not JSON", async () => {
    await failsWith(
      ["publish", "--table", "t"],
      /^pubsub-run publish: missing --key, --action; give --table, --key and --action, or --stdin$/,
    );
    await failsWith(
      ["publish", "--table", "t", "--key", "k", "--action", "set", "--value", "{oops"],
      /^pubsub-run publish: --value: not valid JSON/,
    );
  });

  it("subscribe --count must be a whole number >= 1", async () => {
    await failsWith(["subscribe", "--count", "0"], /^pubsub-run subscribe: --count: must be a whole number >= 1 \(got "0"\)$/);
  });

  it("publish --stdin: a bad line is reported with its number and skipped, the rest go out, exit 1", async () => {
    const { port, flags } = await sets();
    const service = new CliProcess(["service", ...flags]);
    running.push(service);
    await service.waitFor(/ready/);
    const subscriber = new CliProcess(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, "--count", "2", ...flags]);
    running.push(subscriber);
    await subscriber.waitFor(/connected to/);
    const input = [
      '{"table":"t","key":"1","action":"set"}',
      "not json",
      '{"table":"t","key":2,"action":"set"}',
      '{"table":"t","key":"3","action":"set","topic":"D"}',
      "",
    ].join("\n");
    const { code, stderr } = await runCli(["publish", "--stdin", ...flags], { input });
    assert.equal(code, 1);
    assert.match(stderr, /^pubsub-run publish: stdin:2: not valid JSON .*; line skipped$/m);
    assert.match(stderr, /^pubsub-run publish: stdin:3: "key" must be a string or null; line skipped$/m);
    assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
    assert.deepEqual(
      subscriber.stdout.map((line) => JSON.parse(line).key),
      ["1", "3"],
    );
    service.kill("SIGTERM");
    assert.equal((await service.exit()).code, 0);
  });

  it("publish with pub_sub_use_multiproc false sends straight to the network", async () => {
    const { port, flags } = await sets();
    const direct = [...flags, "--set", "pub_sub_use_multiproc=false"];
    const subscriber = new CliProcess(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, "--count", "1", ...direct]);
    running.push(subscriber);
    await subscriber.waitFor(/ready/);
    // stdin is there at once: publish itself must wait for the subscriber to connect to the port it binds.
    const { code, stderr } = await runCli(["publish", "--stdin", ...direct], { input: '{"table":"t","key":"direct","action":"set"}\n' });
    assert.equal(code, 0, stderr);
    assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
    assert.equal(JSON.parse(subscriber.stdout[0]).key, "direct");
  });
});

describe("pubsub-run subscribe --topic and service --stats", () => {
  it("a subscriber of --topic tenant-a gets tenant-a only; the service logs its counters every --stats seconds", async () => {
    const { port, flags } = await sets();
    const service = new CliProcess(["service", "--stats", "0.2", ...flags]);
    running.push(service);
    await service.waitFor(/ready/);
    const subscriber = new CliProcess([
      "subscribe",
      "--topic",
      "tenant-a",
      "--publisher",
      `tcp://127.0.0.1:${port}`,
      "--count",
      "1",
      ...flags,
    ]);
    running.push(subscriber);
    await subscriber.waitFor(/connected to/);
    const input = [
      '{"table":"t","key":"all","action":"set","topic":"D"}',
      '{"table":"t","key":"other","action":"set","topic":"tenant-ab"}',
      '{"table":"t","key":"mine","action":"set","topic":"tenant-a"}',
      "",
    ].join("\n");
    assert.equal((await runCli(["publish", "--stdin", ...flags], { input })).code, 0);
    assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
    assert.deepEqual(
      subscriber.stdout.map((line) => JSON.parse(line)),
      [{ table: "t", key: "mine", action: "set", value: null, topic: "tenant-a" }],
    );
    await service.waitFor(/stats \(every 0\.2s\) \{"relayed":3,/);
    service.kill("SIGTERM");
    assert.equal((await service.exit()).code, 0);
  });
});

describe("pubsub-run demo", () => {
  it("runs service, workers and subscriber from one config; every event arrives in order", async () => {
    const { flags } = await sets();
    const { code, stdout, stderr } = await runCli(["demo", "--workers", "2", "--seconds", "2", "--rate", "500", ...flags]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^worker 1: sent (\d+), received \1, lost 0, out of order 0$/m);
    assert.match(stdout, /^worker 2: sent (\d+), received \1, lost 0, out of order 0$/m);
    assert.match(stdout, /^all \d+ events arrived, in order per worker$/m);
    assert.match(stderr, /ready: service up, subscriber connected; forking 2 workers/);
  });

  it("refuses pub_sub_use_multiproc=false with a driver every worker would bind", async () => {
    await failsWith(
      ["demo", "--set", "pub_sub_use_multiproc=false"],
      /^pubsub-run: --set pub_sub_use_multiproc: pub_sub_use_multiproc is false, so every demo worker would bind tcp:\/\/\*:8866 itself; set pub_sub_use_multiproc=true, or use a driver that connects to a broker/,
    );
  });

  it("--workers must be a whole number >= 1", async () => {
    await failsWith(["demo", "--workers", "0"], /^pubsub-run demo: --workers: must be a whole number >= 1 \(got "0"\)$/);
  });

  it("every command has --help", async () => {
    for (const command of ["service", "subscribe", "publish", "demo", "check"]) {
      const { code, stdout } = await runCli([command, "--help"]);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`^Usage: pubsub-run ${command}`));
    }
  });
});
