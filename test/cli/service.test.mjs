// The whole topology as real processes: worker processes (`pubsub-run publish`) ->
// IPC -> `pubsub-run service` -> network -> `pubsub-run subscribe` processes.
import assert from "node:assert/strict";
import { lstat } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePort } from "../../dist/testing.js";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";
import { processStarter } from "../helpers/process.mjs";
import { rawPush, socketDir } from "../helpers/zmq.mjs";

const start = processStarter();

/** A port and a socket path of the test's own, as --set flags. */
async function topology() {
  const port = await freePort();
  const socket = join(await socketDir(), "publisher.sock");
  return { port, socket, sets: ["--set", `publisher_port=${port}`, "--set", `publisher_multiproc_socket=${socket}`] };
}

/** `count` events of one worker, as `publish --stdin` lines. */
function workerLines(worker, count) {
  return (
    Array.from({ length: count }, (_, seq) => JSON.stringify({ table: worker, key: String(seq), action: "set", value: { seq } })).join(
      "\n",
    ) + "\n"
  );
}

/** Parses subscriber output and checks each worker's events arrived once, in order. */
function assertEveryEventOnceInOrder(lines, workers, perWorker) {
  const events = lines.map((line) => JSON.parse(line)).filter((event) => event.action !== "sync");
  assert.equal(events.length, workers.length * perWorker);
  for (const worker of workers) {
    const keys = events.filter((event) => event.table === worker).map((event) => Number(event.key));
    assert.deepEqual(keys, [...Array(perWorker).keys()], `events of ${worker}`);
  }
}

async function socketGone(path) {
  await assert.rejects(lstat(path), { code: "ENOENT" }, `${path} is left behind`);
}

describe("pubsub-run service: the topology", () => {
  it("workers -> IPC -> service -> network -> two subscribers: every event once, in per-worker order, at both", async () => {
    const { port, socket, sets } = await topology();
    const service = start(["service", "--json", ...sets]);
    const ready = JSON.parse(await service.waitFor(/"msg":"ready/));
    assert.equal(ready.inbox, `ipc://${socket}`);
    assert.equal(ready.network, `tcp://*:${port}`);

    const workers = ["w1", "w2", "w3"];
    const perWorker = 500;
    const count = String(workers.length * perWorker);
    const subscribers = [0, 1].map(() => start(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, "--count", count, ...sets]));
    await Promise.all(subscribers.map((s) => s.waitFor(/connected to tcp:\/\/127\.0\.0\.1/)));

    const published = await Promise.all(workers.map((w) => runCli(["publish", "--stdin", ...sets], { input: workerLines(w, perWorker) })));
    for (const { code, stderr } of published) assert.equal(code, 0, stderr);
    for (const subscriber of subscribers) {
      assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
      assertEveryEventOnceInOrder(subscriber.stdout, workers, perWorker);
    }

    service.kill("SIGUSR2");
    const stats = JSON.parse(await service.waitFor(/"msg":"stats \(SIGUSR2\)"/));
    assert.equal(stats.relayed, workers.length * perWorker);
    assert.equal(stats.dropped, 0);
    assert.equal(stats.queueOverflows, 0, "no subscriber fell behind");
    service.kill("SIGTERM");
    assert.deepEqual(await service.exit(), { code: 0, signal: null });
    assert.ok(
      service.stderr.some((line) => /"msg":"stopped"/.test(line)),
      service.stderr.join("\n"),
    );
    await socketGone(socket);
  });

  it("workers started before the service: their events arrive once it is up", async () => {
    const { port, socket, sets } = await topology();
    const worker = start(["publish", "--stdin", "--set", "zmq.linger_ms=-1", ...sets]);
    worker.write(workerLines("early", 100), true);
    await worker.waitFor(/end of stdin; handing the last 100 events to the transport/);
    await socketGone(socket);

    const service = start(["service", "--wait-subscribers", "1", ...sets]);
    await service.waitFor(/waiting for 1 subscribers/);
    const subscriber = start(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, "--count", "100", ...sets]);
    assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
    assertEveryEventOnceInOrder(subscriber.stdout, ["early"], 100);
    assert.deepEqual(await worker.exit(), { code: 0, signal: null });
    service.kill("SIGTERM");
    assert.deepEqual(await service.exit(), { code: 0, signal: null });
  });

  it("the service killed with SIGKILL and restarted: subscribers get sync, then new events; the stale socket is replaced", async () => {
    const { port, socket, sets } = await topology();
    const first = start(["service", ...sets]);
    await first.waitFor(/ready/);
    const subscriber = start(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, ...sets]);
    await subscriber.waitFor(/connected to/);
    assert.equal((await runCli(["publish", "--table", "t", "--key", "before", "--action", "set", ...sets])).code, 0);
    await subscriber.waitFor(/"key":"before"/, "stdout");

    first.kill("SIGKILL");
    await first.exit();
    assert.ok((await lstat(socket)).isSocket(), "SIGKILL leaves the socket file");

    const second = start(["service", ...sets]);
    await second.waitFor(/ready/);
    const sync = JSON.parse(await subscriber.waitFor(/"action":"sync"/, "stdout"));
    assert.deepEqual(sync, { table: null, key: null, action: "sync", value: null, topic: null });
    assert.equal((await runCli(["publish", "--table", "t", "--key", "after", "--action", "set", ...sets])).code, 0);
    await subscriber.waitFor(/"key":"after"/, "stdout");

    subscriber.kill("SIGTERM");
    assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
    second.kill("SIGINT");
    assert.deepEqual(await second.exit(), { code: 0, signal: null });
    await socketGone(socket);
  });
});

/** Each top-level key of a JSON object line, with how often it occurs in the raw text. */
function keyCounts(line) {
  return Object.keys(JSON.parse(line)).map((key) => [key, line.split(`"${key}":`).length - 1]);
}

describe("pubsub-run service: logs", () => {
  it("--json: the ready line parses and has each key once", async () => {
    const { port, socket, sets } = await topology();
    const service = start(["service", "--json", ...sets]);
    const line = await service.waitFor(/"msg":"ready/);
    const ready = JSON.parse(line);
    assert.equal(ready.pid, service.child.pid);
    assert.equal(ready.network, `tcp://*:${port}`);
    assert.equal(ready.inbox, `ipc://${socket}`);
    for (const [key, count] of keyCounts(line)) assert.equal(count, 1, `"${key}" occurs ${count} times in ${line}`);
    service.kill("SIGTERM");
    assert.deepEqual(await service.exit(), { code: 0, signal: null });
  });

  for (const json of [false, true]) {
    it(`${json ? "--json" : "human lines"}: a garbage message in the inbox is one warning line without a stack; relaying goes on`, async () => {
      const { port, socket, sets } = await topology();
      const service = start(["service", ...(json ? ["--json"] : []), ...sets]);
      await service.waitFor(/ready/);
      const subscriber = start(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, "--count", "1", ...sets]);
      await subscriber.waitFor(/connected to/);
      const garbage = await rawPush(`ipc://${socket}`);
      try {
        await garbage.send([Buffer.from("not an event")]);
        await service.waitFor(/undecodable/);
      } finally {
        await garbage.close();
      }
      assert.equal((await runCli(["publish", "--table", "t", "--key", "after", "--action", "set", ...sets])).code, 0);
      assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
      assert.equal(JSON.parse(subscriber.stdout[0]).key, "after");
      service.kill("SIGTERM");
      assert.deepEqual(await service.exit(), { code: 0, signal: null });

      // The subscriber that left after its one event is a lost connection: a warning of its own.
      const warnings = service.stderr.filter(
        (line) => (json ? JSON.parse(line).level === 40 : /\bWARN\b/.test(line)) && !/connection was lost/.test(line),
      );
      assert.equal(warnings.length, 1, service.stderr.join("\n"));
      assert.ok(
        service.stderr.every((line) => !/^\s+at |\\n\s+at |"stack"/.test(line)),
        `a stack trace was logged:\n${service.stderr.join("\n")}`,
      );
      const expected = { code: "PUBSUB_ERR_WIRE_FORMAT", message: "expected 2 frames [topic, payload], got 1" };
      if (json) assert.deepEqual(JSON.parse(warnings[0]).err, expected);
      else assert.ok(warnings[0].includes(JSON.stringify(expected)), warnings[0]);
      const stopped = service.stderr.at(-1);
      assert.match(stopped, /stopped/);
      assert.match(stopped, /"relayed":1,.*"undecodable":1,/);
    });
  }

  it("--debug: the warning carries the stack", async () => {
    const { socket, sets } = await topology();
    const service = start(["service", "--json", "--debug", ...sets]);
    await service.waitFor(/ready/);
    const garbage = await rawPush(`ipc://${socket}`);
    try {
      await garbage.send([Buffer.from("not an event")]);
      const warning = JSON.parse(await service.waitFor(/undecodable/));
      assert.match(warning.err.stack, /^WireFormatError: expected 2 frames \[topic, payload\], got 1\n\s+at /);
    } finally {
      await garbage.close();
    }
    service.kill("SIGTERM");
    assert.deepEqual(await service.exit(), { code: 0, signal: null });
  });
});

/** A network driver whose factory is still "connecting" until the process gets SIGTERM. */
const SLOW_DRIVER = `
import createZmqNetworkDriver from ${JSON.stringify(new URL("../../dist/drivers/zmq.js", import.meta.url).href)};

export default async function createSlowDriver(config, context) {
  process.stderr.write("slow driver: connecting\\n");
  const connection = setInterval(() => {}, 60_000);
  await new Promise((resolve) => process.once("SIGTERM", resolve));
  clearInterval(connection);
  return createZmqNetworkDriver(config, context);
}
`;

/** Resolves once `port` on 127.0.0.1 can be listened on again. */
async function portFree(port) {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  await new Promise((resolve) => server.close(resolve));
}

describe("pubsub-run service: signals during start-up", () => {
  it("SIGTERM while it waits for subscribers: exit 0, port released, no socket file", async () => {
    const { port, socket, sets } = await topology();
    const service = start(["service", "--wait-subscribers", "1", ...sets]);
    await service.waitFor(/waiting for 1 subscribers/);
    service.kill("SIGTERM");
    assert.deepEqual(await service.exit(), { code: 0, signal: null });
    assert.match(service.stderr.at(-1), /stopped during start-up/);
    await portFree(port);
    await socketGone(socket);
  });

  it("SIGTERM while the drivers load: exit 0, nothing bound", async () => {
    const project = await makeProject({ "drivers/slow.mjs": SLOW_DRIVER, "pubsub.config.yaml": "pub_sub_driver: ./drivers/slow.mjs\n" });
    try {
      const { port, socket, sets } = await topology();
      const service = start(["service", ...sets], { cwd: project.dir });
      await service.waitFor(/slow driver: connecting/);
      service.kill("SIGTERM");
      assert.deepEqual(await service.exit(), { code: 0, signal: null });
      assert.ok(
        service.stderr.some((line) => /stopped during start-up/.test(line)),
        service.stderr.join("\n"),
      );
      assert.ok(!service.stderr.some((line) => /ready/.test(line)), service.stderr.join("\n"));
      await portFree(port);
      await socketGone(socket);
    } finally {
      await project.cleanup();
    }
  });
});

describe("pubsub-run service: SIGTERM in the middle of a burst", () => {
  it("exits 0; the subscriber got an unbroken prefix of the sequence (no gap, no duplicate); the socket file is gone", async () => {
    const { port, socket, sets } = await topology();
    const service = start(["service", "--json", ...sets]);
    await service.waitFor(/"msg":"ready/);
    const subscriber = start(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, ...sets]);
    await subscriber.waitFor(/connected to/);
    const total = 100_000;
    const worker = start(["publish", "--stdin", ...sets]);
    worker.write(workerLines("burst", total), true);

    await subscriber.waitForLines(1_000);
    service.kill("SIGTERM");
    assert.deepEqual(await service.exit(), { code: 0, signal: null });
    const stopped = JSON.parse(service.stderr.find((line) => /"msg":"stopped"/.test(line)));
    assert.ok(stopped.relayed < total, `the burst (${total}) was over before SIGTERM: the test did not stop it in the middle`);
    await socketGone(socket);

    // Everything the service relayed reaches the subscriber: it flushed before exiting.
    await subscriber.waitForLines(stopped.relayed);
    subscriber.kill("SIGTERM");
    assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
    const keys = subscriber.stdout
      .map((line) => JSON.parse(line))
      .filter((event) => event.action !== "sync")
      .map((event) => Number(event.key));
    assert.equal(keys.length, stopped.relayed);
    assert.ok(
      keys.every((key, index) => key === index),
      "the events received are not 0, 1, 2, ... without gaps or duplicates",
    );
  });
});
