// pubsub-run publish: straight to the network (it waits for its subscribers, or says
// what it did not send) and through the service (when the service is not there).
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as zmq from "zeromq";
import { decodeEvent } from "../../dist/wire.js";
import { freePort } from "../../dist/testing.js";
import { runCli } from "../helpers/cli.mjs";
import { MEMORY_DRIVER, makeProject } from "../helpers/fixtures.mjs";
import { processStarter } from "../helpers/process.mjs";
import { socketDir } from "../helpers/zmq.mjs";

const start = processStarter();

/** A port and a socket path of the test's own, as --set flags; `direct` publishes straight to the network. */
async function sets({ direct = false } = {}) {
  const port = await freePort();
  const socket = join(await socketDir(), "publisher.sock");
  const flags = ["--set", `publisher_port=${port}`, "--set", `publisher_multiproc_socket=${socket}`];
  if (direct) flags.push("--set", "pub_sub_use_multiproc=false");
  return { port, socket, flags };
}

function lines(count, table = "t") {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ table, key: String(i), action: "set", value: i })).join("\n") + "\n";
}

describe("pubsub-run publish straight to the network", () => {
  it("a subscriber already running gets one event from flags and 1000 from stdin, all in order; exit 0", async () => {
    const { port, flags } = await sets({ direct: true });
    // Each publish binds the port anew, so the subscriber reconnects between them: sync lines are not counted.
    const subscriber = start(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, "--count", "1001", ...flags]);
    await subscriber.waitFor(/ready/);

    const one = await runCli(["publish", "--table", "single", "--key", "k", "--action", "set", ...flags]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stderr, "");
    await subscriber.waitFor(/"table":"single"/, "stdout");

    const many = await runCli(["publish", "--stdin", ...flags], { input: lines(1000, "many") });
    assert.equal(many.code, 0, many.stderr);
    // The subscriber exits once it has its 1,001 events, which publish may see (and log) while it closes.
    const others = many.stderr.split("\n").filter((line) => line !== "" && !line.includes("a subscriber connection was lost"));
    assert.deepEqual(others, [], "nothing waits for a publisher service here");
    assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
    const events = subscriber.stdout.map((line) => JSON.parse(line)).filter((event) => event.action !== "sync");
    assert.deepEqual(events[0], { table: "single", key: "k", action: "set", value: null, topic: "D" });
    assert.deepEqual(
      events.slice(1).map((event) => event.key),
      [...Array(1000).keys()].map(String),
    );
  });

  it("a slow subscriber that reads only after publish exited still gets every event (close lingers)", async () => {
    const { port, flags } = await sets({ direct: true });
    // A small queue and socket buffer, and nothing read until publish is gone: most events
    // are still on the publisher's side when it closes.
    const slow = new zmq.Subscriber({ receiveHighWaterMark: 10, receiveBufferSize: 4096 });
    slow.subscribe("\u0001pubsub.hello"); // counted by the publisher as one of ours
    slow.subscribe("D");
    slow.connect(`tcp://127.0.0.1:${port}`);
    try {
      const count = 10_000;
      const { code, stderr } = await runCli(["publish", "--stdin", ...flags], { input: lines(count) });
      assert.equal(code, 0, stderr);
      const keys = [];
      for await (const [topic, payload] of slow) {
        if (topic.toString() !== "D") continue;
        keys.push(decodeEvent(payload).key);
        if (keys.length === count) break;
      }
      assert.deepEqual(keys, [...Array(count).keys()].map(String));
    } finally {
      slow.close();
    }
  });

  it("no subscriber within --wait-ms: exit 1, one line naming the address, the option and the fix; nothing sent", async () => {
    const { port, flags } = await sets({ direct: true });
    const single = await runCli(["publish", "--table", "t", "--key", "k", "--action", "set", "--wait-ms", "200", ...flags]);
    assert.equal(single.code, 1);
    assert.equal(
      single.stderr,
      `pubsub-run publish: no subscriber connected to tcp://*:${port} within 200 ms (--wait-ms); 1 event not sent; start the subscribers first, give them longer with --wait-ms, or pass --wait-subscribers 0 to send anyway\n`,
    );

    const stdin = await runCli(["publish", "--stdin", "--wait-ms", "200", "--wait-subscribers", "2", ...flags], { input: lines(3) });
    assert.equal(stdin.code, 1);
    assert.match(
      stdin.stderr,
      /^pubsub-run publish: 0 of 2 subscribers \(--wait-subscribers\) connected to tcp:\/\/\*:\d+ within 200 ms \(--wait-ms\); 3 events not sent; /,
    );
    assert.match(stdin.stderr, /^[^\n]+\n$/, "one line");
  });

  it("a driver that cannot count its subscribers: sends at once, with a note", async () => {
    const project = await makeProject({
      "drivers/memory.mjs": MEMORY_DRIVER,
      "pubsub.config.yaml": "pub_sub_driver: ./drivers/memory.mjs\npub_sub_use_multiproc: false\n",
    });
    try {
      const { code, stderr } = await runCli(["publish", "--table", "t", "--key", "k", "--action", "set"], { cwd: project.dir });
      assert.equal(code, 0, stderr);
      assert.equal(
        stderr,
        "pubsub-run publish: pub_sub_driver ./drivers/memory.mjs cannot tell when subscribers are connected; sending without waiting (subscribers that connect later miss these events)\n",
      );
    } finally {
      await project.cleanup();
    }
  });

  it("--wait-subscribers 0 sends at once; the wait flags are refused through the service", async () => {
    const { flags } = await sets({ direct: true });
    const atOnce = await runCli(["publish", "--table", "t", "--key", "k", "--action", "set", "--wait-subscribers", "0", ...flags]);
    assert.equal(atOnce.code, 0, atOnce.stderr);

    const { flags: viaService } = await sets();
    const refused = await runCli(["publish", "--table", "t", "--key", "k", "--action", "set", "--wait-ms", "100", ...viaService]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /^pubsub-run publish: --wait-subscribers and --wait-ms apply when pub_sub_use_multiproc is false .*'pubsub-run service --wait-subscribers N' instead\n$/,
    );

    const bad = await runCli(["publish", "--stdin", "--wait-ms", "soon", ...flags]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'pubsub-run publish: --wait-ms: must be a whole number >= 0 (got "soon")\n');
  });
});

describe("pubsub-run publish through the service", () => {
  it("the service went away: exit 1 after zmq.linger_ms, naming the option, the socket and the fix", async () => {
    const { socket, flags } = await sets();
    const service = start(["service", ...flags]);
    await service.waitFor(/ready/);
    const before = await runCli(["publish", "--table", "t", "--key", "before", "--action", "set", ...flags]);
    assert.equal(before.code, 0, before.stderr);
    service.kill("SIGTERM");
    assert.deepEqual(await service.exit(), { code: 0, signal: null });

    const { code, stderr } = await runCli([
      "publish",
      "--table",
      "t",
      "--key",
      "after",
      "--action",
      "set",
      "--set",
      "zmq.linger_ms=200",
      ...flags,
    ]);
    assert.equal(code, 1);
    assert.equal(
      stderr,
      `pubsub-run publish: 1 of 1 events not sent: the publisher closed before this event could be sent (zmq.linger_ms of 200 ms expired); publisher_multiproc_socket: no publisher service took it at ipc://${socket}; is 'pubsub-run service' running?\n`,
    );
  });

  it("--stdin with no service: says the events wait for the service, then how many were not sent", async () => {
    const { socket, flags } = await sets();
    const { code, stderr } = await runCli(["publish", "--stdin", "--set", "zmq.linger_ms=200", ...flags], { input: lines(3) });
    assert.equal(code, 1);
    const [waiting, failed, ...rest] = stderr.split("\n");
    assert.equal(
      waiting,
      `pubsub-run publish: end of stdin; handing the last 3 events to the transport (they wait here for the publisher service at ipc://${socket} to take them)`,
    );
    assert.match(
      failed,
      /^pubsub-run publish: 3 of 3 events read from stdin not sent, from line 1 on: .*; publisher_multiproc_socket: no publisher service took it at ipc:\/\/.*; is 'pubsub-run service' running\?$/,
    );
    assert.deepEqual(rest, [""]);
  });

  it("--stdin longer than the window with no service: stops reading after zmq.linger_ms, exit 1, says how far it read", async () => {
    const { flags } = await sets();
    // 1,024 events wait for a service that is not there; the rest of the input is not read.
    const { code, stderr } = await runCli(["publish", "--stdin", "--set", "zmq.linger_ms=200", ...flags], { input: lines(5_000) });
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^pubsub-run publish: 1024 of 1024 events read from stdin not sent, from line 1 on: .*; publisher_multiproc_socket: no publisher service took it at ipc:\/\/.*; is 'pubsub-run service' running\?; stopped reading stdin after line 1024, as none was taken for 200 ms \(zmq\.linger_ms\)\n$/,
    );
  });
});
