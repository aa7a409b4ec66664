// Wire interoperability with Dragonflow nodes. A Python program using pyzmq and msgpack,
// as Dragonflow's ZeroMQ drivers do (dragonflow_peer.py), talks to our drivers over
// PUB/SUB (tcp) and PUSH/PULL (ipc). The byte-level checks compare our codec with what
// msgpack.packb gives, without Python.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import createZmqMultiprocDriver from "../../dist/drivers/zmq-multiproc.js";
import { PublisherService } from "../../dist/index.js";
import { decodeEvent, encodeEvent, encodeTopic } from "../../dist/wire.js";
import { Changes, Collector, freePort, until } from "../../dist/testing.js";
import { configFor, quietContext, socketDir } from "../helpers/zmq.mjs";

const PEER = fileURLToPath(new URL("./dragonflow_peer.py", import.meta.url));
const TIMEOUT_MS = 10_000;
// Tables the peer treats as control messages (see dragonflow_peer.py).
const PROBE_TABLE = "__probe__";
const END_TABLE = "__end__";
// The single-frame welcome our network publishers send each new connection (src/drivers/zmq/hello.ts).
const HELLO_HEX = Buffer.from("\u0001pubsub.hello").toString("hex");

/** The first interpreter with pyzmq and msgpack: $PUBSUB_TEST_PYTHON, else python3, else Debian's. */
function findPython() {
  const candidates = process.env.PUBSUB_TEST_PYTHON ? [process.env.PUBSUB_TEST_PYTHON] : ["python3", "/usr/bin/python3"];
  return candidates.find((python) => spawnSync(python, ["-c", "import zmq, msgpack"], { stdio: "ignore" }).status === 0);
}

const python = findPython();
const needsPython = python === undefined ? { skip: "python3-zmq/python3-msgpack not installed: run scripts/test-deps.sh as root" } : {};

/** A running dragonflow_peer.py: the JSON lines it printed, its stdin, its end. */
class Peer {
  /** Every line printed on stdout, parsed. */
  lines = [];
  /** Notified on every line printed, and when the peer exits. */
  changes = new Changes();
  /** Set when the peer exited with an error. */
  failure;
  #stderr = "";

  constructor(args) {
    this.mode = args[0];
    this.child = spawn(python, [PEER, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.on("error", (err) => {
      this.#stderr += `${err.message}\n`; // could not start: "close" follows, `failed` reports it
    });
    this.child.stdin.on("error", () => {}); // EPIPE after the peer died: `failed` reports it
    this.child.stderr.setEncoding("utf8").on("data", (chunk) => {
      this.#stderr += chunk;
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      this.lines.push(JSON.parse(line));
      this.changes.notify();
    });
    // "close", not "exit": stdout has been read to the end by then.
    this.closed = new Promise((resolve) =>
      this.child.once("close", (code, signal) => {
        if (code !== 0)
          this.failure = new Error(`dragonflow_peer.py ${this.mode} failed (code ${code}, signal ${signal}): ${this.#stderr.trim()}`);
        this.changes.notify();
        resolve({ code, signal });
      }),
    );
    // Rejects, with what the peer wrote on stderr, if it fails; never resolves otherwise.
    this.failed = this.closed.then(() => {
      if (this.failure !== undefined) throw this.failure;
      return new Promise(() => {});
    });
    this.failed.catch(() => {});
  }

  /** Sends one stdin line: a word, or a message to send as `{topic, message}`. */
  send(line) {
    this.child.stdin.write(`${typeof line === "string" ? line : JSON.stringify(line)}\n`);
  }

  /** Closes stdin: the sending modes then flush and exit. */
  end() {
    this.child.stdin.end();
  }

  /** Waits for `promise`, failing at once with the peer's stderr if the peer fails first. */
  watch(promise) {
    return Promise.race([promise, this.failed]);
  }

  /** `test(lines)`; throws if the peer failed, so a wait on it ends at once. */
  holds(test) {
    if (this.failure !== undefined) throw this.failure;
    return test(this.lines);
  }

  /** What the peer printed so far, for a failure message. */
  status() {
    return `the peer printed ${JSON.stringify(this.lines)}`;
  }

  /** Resolves once `test(lines)` holds. */
  printed(test, what) {
    return until(() => this.holds(test), what, { changes: this.changes, timeoutMs: TIMEOUT_MS, status: () => this.status() });
  }

  /** Resolves once the peer exited with code 0. */
  async exited() {
    const { code, signal } = await until(this.closed, `dragonflow_peer.py ${this.mode} to exit`, {
      timeoutMs: TIMEOUT_MS,
      status: () => `stderr: ${this.#stderr.trim()}`,
    });
    assert.equal(code, 0, `dragonflow_peer.py ${this.mode} exited with code ${code}, signal ${signal}: ${this.#stderr.trim()}`);
  }

  /** Kills the peer if it still runs, and waits for it. */
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.closed;
  }
}

/** Starts a peer that is killed after the test, passed or failed. */
function startPeer(t, args) {
  const peer = new Peer(args);
  t.after(() => peer.stop());
  return peer;
}

/** The Python type msgpack.unpackb gives for each leaf of `value`. */
function pythonTypes(value) {
  if (value === null) return "NoneType";
  if (Array.isArray(value)) return value.map(pythonTypes);
  switch (typeof value) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(value) ? "int" : "float";
    case "object":
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, pythonTypes(item)]));
    default:
      throw new TypeError(`no Python type for ${typeof value}`);
  }
}

/** A network publisher of ours bound to a free port on 127.0.0.1, closed after the test. */
async function ourNetworkPublisher(t) {
  const port = await freePort();
  const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" });
  const publisher = createZmqNetworkDriver(config, quietContext("network")).getPublisher();
  await publisher.initialize();
  t.after(() => publisher.close());
  return { publisher, address: `tcp://127.0.0.1:${port}` };
}

/**
 * Publishes probes on "D" until every Python subscriber printed "ready": a PUB drops what
 * it sends before a subscription arrives (ZeroMQ's slow joiner), so the first probe that
 * gets through says the path delivers.
 */
async function probeUntilReady(publisher, peers) {
  const ready = (lines) => lines.some((line) => line.ready);
  await until(() => peers.every((peer) => peer.holds(ready)), `a first probe at each of ${peers.length} Python subscribers`, {
    changes: peers.map((peer) => peer.changes),
    timeoutMs: TIMEOUT_MS,
    status: () => peers.map((peer) => peer.status()).join("; "),
    probe: () => publisher.sendEvent({ table: PROBE_TABLE, key: null, action: "probe", value: null }, "D"),
  });
}

/** What the Python subscriber prints for an event we sent on `topic`. */
function seenByPython(event, topic) {
  const message = { table: event.table, key: event.key, action: event.action, value: event.value, topic };
  return { topic, message, types: pythonTypes(message) };
}

/**
 * A line the Python subscriber printed, as Dragonflow reads it: the five named keys
 * (Dragonflow's unpack_message() callers read those, and ignore the rest). Our stamp,
 * the extra keys publisher_id (str) and seq (int, rising), is checked and left out.
 */
function asDragonflowReads(lines) {
  const lastSeq = new Map();
  return lines.map((line) => {
    if (line.message === undefined) return line;
    const { publisher_id: publisherId, seq, ...message } = line.message;
    const { publisher_id: idType, seq: seqType, ...types } = line.types;
    assert.equal(typeof publisherId, "string");
    assert.deepEqual([idType, seqType], ["str", "int"]);
    assert.ok(seq > (lastSeq.get(line.topic) ?? 0), `seq ${seq} on ${line.topic} after ${lastSeq.get(line.topic)}`);
    lastSeq.set(line.topic, seq);
    return { topic: line.topic, message, types };
  });
}

/** A subscriber of ours recording what it receives, closed after the test. */
async function ourSubscriber(t, api, setup) {
  const subscriber = api.getSubscriber();
  const got = new Collector(TIMEOUT_MS);
  subscriber.initialize(got.callback);
  setup(subscriber);
  await subscriber.daemonize();
  t.after(() => subscriber.close());
  return { subscriber, got };
}

/** What our callback received, control messages left out. */
function delivered(got) {
  return got.events.filter((event) => event.table !== PROBE_TABLE && event.table !== END_TABLE);
}

describe("our network publisher -> a Dragonflow subscriber", () => {
  const events = [
    // Dragonflow's values are usually the model as JSON text.
    { table: "lport", key: "port-1", action: "create", value: '{"id": "port-1", "name": "vm-1"}' },
    {
      table: "lport",
      key: "port-1",
      action: "set",
      value: {
        text: "plain",
        empty: "",
        unicode: "žluťoučký 日本語 🐉",
        long: "ü".repeat(200),
        ints: [0, 1, -1, 127, 128, -32, -33, 255, 256, -129, 65535, 65536, -32769, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1],
        floats: [0.5, -1.25, 1e-7, Math.PI, 6.02214076e-23],
        flags: [true, false],
        nothing: null,
        nested: { list: [[], {}, [1, ["two", { three: 3 }]]], map: { "with space": "ok", ключ: "значение" } },
      },
    },
    { table: "lport", key: "", action: "delete", value: null },
    { table: "", key: "ключ 🔑", action: "create", value: "" },
  ];

  test("every field arrives as sent, types included, with topic inside the map", needsPython, async (t) => {
    const { publisher, address } = await ourNetworkPublisher(t);
    const peer = startPeer(t, ["sub", address, "D"]);
    await probeUntilReady(publisher, [peer]);

    for (const event of events) await publisher.sendEvent(event, "D");
    await publisher.sendEvent({ table: END_TABLE, key: null, action: "end", value: null }, "D");
    await peer.exited();

    assert.deepEqual(asDragonflowReads(peer.lines), [{ ready: true }, ...events.map((event) => seenByPython(event, "D"))]);
  });

  test("a subscriber of D sees only D events: no welcome message, no other topic", needsPython, async (t) => {
    const { publisher, address } = await ourNetworkPublisher(t);
    const ofD = startPeer(t, ["sub", address, "D"]);
    // The control: a subscriber of every topic (which Dragonflow does not use) shows that
    // the welcome message and the other topic were on the wire.
    const ofAll = startPeer(t, ["sub", address, ""]);
    await probeUntilReady(publisher, [ofD, ofAll]);

    const [forAll, forTenant] = events;
    await publisher.sendEvent(forAll, "D");
    await publisher.sendEvent(forTenant, "tenant-a");
    await publisher.sendEvent({ table: END_TABLE, key: null, action: "end", value: null }, "D");
    await Promise.all([ofD.exited(), ofAll.exited()]);

    assert.deepEqual(asDragonflowReads(ofD.lines), [{ ready: true }, seenByPython(forAll, "D")]);
    assert.deepEqual(asDragonflowReads(ofAll.lines), [
      { frames: [HELLO_HEX] }, // the first message on a connection, before any probe
      { ready: true },
      seenByPython(forAll, "D"),
      seenByPython(forTenant, "tenant-a"),
    ]);
  });
});

describe("a batching worker of ours -> our publisher service -> a Dragonflow subscriber", () => {
  test("the service splits the worker's batches: one plain event a message, in order", needsPython, async (t) => {
    const dir = await socketDir();
    t.after(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const config = await configFor({
      publisher_port: port,
      publisher_bind_address: "127.0.0.1",
      publisher_multiproc_socket: join(dir, "publisher.sock"),
    });
    assert.equal(config.zmq.multiproc_batch, true, "the IPC hop batches by default");
    const multiproc = createZmqMultiprocDriver(config, quietContext("multiproc"));
    const network = createZmqNetworkDriver(config, quietContext("network"));
    const service = new PublisherService(multiproc.getSubscriber(), network.getPublisher(), { logger: quietContext("service").logger });
    t.after(() => service.stop());
    await service.start();
    const worker = multiproc.getPublisher();
    await worker.initialize();
    t.after(() => worker.close());
    const peer = startPeer(t, ["sub", `tcp://127.0.0.1:${port}`, "D"]);
    await probeUntilReady(worker, [peer]);

    const events = Array.from({ length: 50 }, (_, i) => ({ table: "lport", key: `port-${i}`, action: "set", value: { i } }));
    const relayedBefore = service.stats.relayed;
    // Awaited one by one, in one turn of the event loop: the worker sends them as one batch.
    for (const event of events) await worker.sendEvent(event, "D");
    await worker.sendEvent({ table: END_TABLE, key: null, action: "end", value: null }, "D");
    await peer.exited();

    // A batch would print as a list, which asDragonflowReads refuses.
    assert.deepEqual(asDragonflowReads(peer.lines), [{ ready: true }, ...events.map((event) => seenByPython(event, "D"))]);
    assert.ok(service.stats.relayed - relayedBefore >= events.length);
  });
});

describe("a Dragonflow publisher -> our network subscriber", () => {
  test("events decode with the right fields; unknown keys and unregistered topics are left out", needsPython, async (t) => {
    const port = await freePort();
    const address = `tcp://127.0.0.1:${port}`;
    const peer = startPeer(t, ["pub", address, "D", "tenant-a"]);
    const config = await configFor();
    const { subscriber, got } = await ourSubscriber(t, createZmqNetworkDriver(config, quietContext("network")), (subscriber) => {
      subscriber.registerListenAddress(address);
      subscriber.registerTopic("tenant-a");
    });
    // The peer probes every topic until told to stop: each subscription is then in place.
    const probed = (topic) => got.events.some((event) => event.table === PROBE_TABLE && event.key === topic);
    await peer.watch(got.until(() => probed("D") && probed("tenant-a"), "a probe on D and on tenant-a"));
    peer.send("ready");

    const sent = [
      { topic: "D", message: { table: "lport", key: "port-1", action: "create", value: '{"id": "port-1"}', topic: "D" } },
      {
        topic: "D",
        message: { table: "lport", key: "port-2", action: "set", value: { mtu: 1450 }, topic: "D", version: 7, origin: "controller-3" },
      },
      {
        topic: "tenant-a",
        message: {
          table: "lswitch",
          key: "net-1",
          action: "set",
          value: { ratio: 0.25, names: ["a", "ü", ""], up: true },
          topic: "tenant-a",
        },
      },
      // "D" is a prefix of "Dx", so ZeroMQ lets it through; our exact-match rule drops it.
      { topic: "Dx", message: { table: "lport", key: "port-3", action: "create", value: null, topic: "Dx" } },
      { topic: "tenant-b", message: { table: "lport", key: "port-4", action: "create", value: null, topic: "tenant-b" } },
      { topic: "D", message: { table: "lport", key: "port-ü", action: "delete", value: null, topic: "D" } },
      { topic: "D", message: { table: END_TABLE, key: null, action: "end", value: null, topic: "D" } },
    ];
    for (const line of sent) peer.send(line);
    await peer.watch(got.until(() => got.events.some((event) => event.table === END_TABLE), "the end marker"));
    // Closed before the publisher goes: a SUB socket that lost its publisher queues its
    // subscriptions for the reconnection, and the process would wait zmq.linger_ms for them.
    await subscriber.close();
    peer.end();
    await peer.exited();

    assert.deepEqual(delivered(got), [
      { table: "lport", key: "port-1", action: "create", value: '{"id": "port-1"}', topic: "D" },
      { table: "lport", key: "port-2", action: "set", value: { mtu: 1450 }, topic: "D" },
      { table: "lswitch", key: "net-1", action: "set", value: { ratio: 0.25, names: ["a", "ü", ""], up: true }, topic: "tenant-a" },
      { table: "lport", key: "port-ü", action: "delete", value: null, topic: "D" },
    ]);
  });
});

describe("a Dragonflow worker (PUSH) -> our multiproc subscriber (PULL on ipc)", () => {
  test("every event arrives, whatever its topic, in order", needsPython, async (t) => {
    const dir = await socketDir();
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "publisher.sock");
    const config = await configFor({ publisher_multiproc_socket: path });
    const { got } = await ourSubscriber(t, createZmqMultiprocDriver(config, quietContext("multiproc")), () => {});

    // No handshake needed: the PULL side is bound before the worker starts, and a PUSH
    // socket queues what it sends until it is connected instead of dropping it.
    const peer = startPeer(t, ["push", `ipc://${path}`]);
    const sent = [
      { topic: "D", message: { table: "lport", key: "port-1", action: "create", value: '{"id": "port-1"}', topic: "D" } },
      {
        topic: "tenant-a",
        message: { table: "lswitch", key: "net-1", action: "set", value: { mtu: 1450 }, topic: "tenant-a", extra: [1, 2] },
      },
      { topic: "Dx", message: { table: "lport", key: "ключ", action: "delete", value: null, topic: "Dx" } },
    ];
    for (const line of sent) peer.send(line);
    peer.end();
    await peer.watch(got.until(() => got.events.length === sent.length, `${sent.length} events`));
    await peer.exited();

    assert.deepEqual(got.events, [
      { table: "lport", key: "port-1", action: "create", value: '{"id": "port-1"}', topic: "D" },
      { table: "lswitch", key: "net-1", action: "set", value: { mtu: 1450 }, topic: "tenant-a" },
      { table: "lport", key: "ключ", action: "delete", value: null, topic: "Dx" },
    ]);
  });
});

describe("byte level: our codec and msgpack.packb(..., use_bin_type=True)", () => {
  const event = {
    table: "lport",
    key: "port-42",
    action: "create",
    value: {
      name: "vm-1",
      mtu: 1450,
      ratio: 0.5,
      offset: -7,
      big: 70000,
      enabled: true,
      parent: null,
      tags: ["a", "", "žluť"],
      note: "x".repeat(40),
      nested: { ips: ["10.0.0.5"] },
    },
  };
  // msgpack.packb({"table": "lport", "key": "port-42", "action": "create",
  //                "value": {"name": "vm-1", "mtu": 1450, "ratio": 0.5, "offset": -7, "big": 70000,
  //                          "enabled": True, "parent": None, "tags": ["a", "", "žluť"],
  //                          "note": "x" * 40, "nested": {"ips": ["10.0.0.5"]}},
  //                "topic": "tenant-a"}, use_bin_type=True).hex()
  const packed =
    "85a57461626c65a56c706f7274a36b6579a7706f72742d3432a6616374696f6ea6637265617465a576616c75658aa46e616d65a4766d2d31" +
    "a36d7475cd05aaa5726174696fcb3fe0000000000000a66f6666736574f9a3626967ce00011170a7656e61626c6564c3a6706172656e74c0" +
    "a47461677393a161a0a6c5be6c75c5a5a46e6f7465d92878787878787878787878787878787878787878787878787878787878787878787878" +
    "787878787878a66e657374656481a369707391a831302e302e302e35a5746f706963a874656e616e742d61";

  test("an event encodes to the bytes msgpack.packb gives", () => {
    assert.equal(Buffer.from(encodeEvent(event, "tenant-a")).toString("hex"), packed);
  });

  test("the bytes msgpack.packb gives decode to the event", () => {
    assert.deepEqual(decodeEvent(Buffer.from(packed, "hex")), { ...event, topic: "tenant-a" });
  });

  test("a topic frame is the topic's UTF-8 bytes", () => {
    // "tenant-ü".encode("utf-8").hex()
    assert.equal(Buffer.from(encodeTopic("tenant-ü")).toString("hex"), "74656e616e742dc3bc");
  });

  test("a value left undefined encodes as nil, as None does", () => {
    // msgpack.packb({"table": "lport", "key": "port-42", "action": "delete", "value": None, "topic": "D"}, use_bin_type=True).hex()
    const expected = "85a57461626c65a56c706f7274a36b6579a7706f72742d3432a6616374696f6ea664656c657465a576616c7565c0a5746f706963a144";
    const update = { table: "lport", key: "port-42", action: "delete", value: undefined };
    assert.equal(Buffer.from(encodeEvent(update, "D")).toString("hex"), expected);
  });

  // msgpack.packb({"table": "chassis", "key": "host-1", "action": "set",
  //                "value": {"created_at": 1700000000000}, "topic": "D"}, use_bin_type=True).hex()
  const withTimestamp =
    "85a57461626c65a763686173736973a36b6579a6686f73742d31a6616374696f6ea3736574a576616c756581aa637265617465645f6174" +
    "cf0000018bcfe56800a5746f706963a144";
  const timestamped = { table: "chassis", key: "host-1", action: "set", value: { created_at: 1700000000000 } };

  // msgpack.packb picks uint64 (cf) for a positive integer, we pick int64 (d3): both are
  // MessagePack integers, and msgpack.unpackb reads either as a Python int.
  const ourTimestamp = withTimestamp.replace("cf0000018bcfe56800", "d30000018bcfe56800");

  test("an integer beyond 32 bits encodes as a MessagePack integer, not a float", () => {
    assert.equal(Buffer.from(encodeEvent(timestamped, "D")).toString("hex"), ourTimestamp);
    const negative = { ...timestamped, value: { created_at: -1700000000000 } };
    assert.equal(decodeEvent(encodeEvent(negative, "D")).value.created_at, -1700000000000);
  });

  test("msgpack.unpackb reads that integer as a Python int", needsPython, () => {
    const program = `import msgpack, sys; v = msgpack.unpackb(bytes.fromhex(sys.argv[1]), raw=False)["value"]["created_at"]; print(type(v).__name__, v)`;
    const run = spawnSync(python, ["-c", program, ourTimestamp], { encoding: "utf8" });
    assert.equal(run.stderr, "");
    assert.equal(run.stdout.trim(), "int 1700000000000");
  });

  test("integers that do not fit a double exactly stay BigInt; 2^53 and below are numbers", () => {
    // msgpack.packb(2**53 + 1).hex() and msgpack.packb(-(2**53)).hex()
    assert.equal(
      decodeEvent(Buffer.from(withTimestamp.replace("cf0000018bcfe56800", "cf0020000000000001"), "hex")).value.created_at,
      2n ** 53n + 1n,
    );
    assert.equal(
      decodeEvent(Buffer.from(withTimestamp.replace("cf0000018bcfe56800", "d3ffe0000000000000"), "hex")).value.created_at,
      -(2 ** 53),
    );
  });

  test("an integer beyond 32 bits decodes as a number", () => {
    assert.deepEqual(decodeEvent(Buffer.from(withTimestamp, "hex")), { ...timestamped, topic: "D" });
  });
});
