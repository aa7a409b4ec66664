// Configs and raw ZeroMQ sockets for the ZeroMQ driver tests. What this module creates
// on disk (the empty project configFor resolves in, every socketDir) is removed by an
// `after` hook it registers on the importing test file.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import * as zmq from "zeromq";
import { resolveConfig } from "../../dist/index.js";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { Changes, Session, freePort, until, waitForFlow } from "../../dist/testing.js";
import { makeProject, recordingLogger } from "./fixtures.mjs";

const emptyProject = await makeProject();
const socketDirs = [];

after(async () => {
  await Promise.all(socketDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  await emptyProject.cleanup();
});

/**
 * An effective config from schema defaults plus `overrides`, never from a config file
 * or PUBSUB_* variables of the machine running the tests. A short linger keeps a
 * failing test from hanging on close.
 */
export async function configFor(overrides = {}) {
  const { config } = await resolveConfig({
    cwd: emptyProject.dir,
    env: {},
    overrides: { ...overrides, zmq: { linger_ms: 2000, ...overrides.zmq } },
  });
  return config;
}

/** A fresh directory for socket files, short enough for Unix socket paths. */
export async function socketDir() {
  const dir = await mkdtemp(join(tmpdir(), "pubsub-sock-"));
  socketDirs.push(dir);
  return dir;
}

/** A driver context whose logger records instead of printing. */
export function quietContext(role) {
  const logger = recordingLogger();
  if (process.env.PUBSUB_TEST_LOG) {
    for (const level of ["debug", "info", "warn", "error"]) {
      const record = logger[level];
      logger[level] = (obj, msg) => {
        console.error(
          `[${role}] ${level}: ${msg ?? ""} ${JSON.stringify(obj, (k, v) => (v instanceof Error ? `${v.code ?? ""} ${v.message}` : v))}`,
        );
        record(obj, msg);
      };
    }
  }
  return { role, logger };
}

/** A raw PUB socket bound to `address`: a Dragonflow peer, or a source of garbage. */
export async function rawPublisher(address) {
  const socket = new zmq.Publisher();
  socket.linger = 0;
  await socket.bind(address);
  return { send: (frames) => socket.send(frames), close: async () => socket.close() };
}

/** A raw socket's messages, read as they come, with a way to wait for them; `close()` closes the socket. */
export function collect(socket) {
  const messages = [];
  const changes = new Changes();
  const reading = (async () => {
    try {
      for await (const frames of socket) {
        messages.push(frames);
        changes.notify();
      }
    } catch {
      // closed
    }
  })();
  return {
    messages,
    changes,
    until: (test, what) => until(test, what, { changes, status: () => `${messages.length} messages arrived` }),
    async close() {
      socket.close();
      await reading;
    },
  };
}

/** A raw PUSH socket connected to `address`: a worker written without this package. */
export async function rawPush(address) {
  const socket = new zmq.Push();
  socket.linger = 0;
  socket.connect(address);
  return { send: (frames) => socket.send(frames), close: async () => socket.close() };
}

/**
 * Closes the subscriber's one socket under it and checks what must follow: one "sync",
 * a new socket in its place, the subscriber still running, then events flowing again.
 * `checkNew()` adds the caller's own checks once the new socket is there.
 */
export async function assertSocketReplaced({ subscriber, publisher, got }, checkNew = async () => {}) {
  assert.equal(subscriber.sockets.length, 1);
  const broken = subscriber.sockets[0];
  broken.close();
  await got.until(() => got.syncs === 1, "a sync notice after the socket failed");
  assert.equal(subscriber.sockets.length, 1);
  assert.notEqual(subscriber.sockets[0], broken);
  assert.equal(subscriber.isRunning, true);
  await checkNew();
  await waitForFlow(publisher, [got]);
  await publisher.sendEvent({ table: "after", key: "1", action: "set", value: null });
  await got.until(() => got.count("after") === 1, "an event after the socket was replaced");
  assert.equal(subscriber.stats.syncs, 1);
}

/**
 * A port, a socket path and a linger time of a test's own, as `--set` flags for
 * pubsub-run processes of one service topology.
 */
export async function topologyFlags(lingerMs) {
  const port = await freePort();
  const socket = join(await socketDir(), "publisher.sock");
  const flags = ["--set", `publisher_port=${port}`, "--set", `publisher_multiproc_socket=${socket}`, "--set", `zmq.linger_ms=${lingerMs}`];
  return { port, socket, flags };
}

/** Events `from` to `to - 1` as stdin lines for `publish --stdin`; the key of line n is n - 1. */
export function eventLines(from, to) {
  let text = "";
  for (let i = from; i < to; i += 1) text += `${JSON.stringify({ table: "t", key: String(i), action: "set", value: i })}\n`;
  return text;
}

/** The network driver on a free loopback port, and a Session closed after test `t`. */
export async function networkOnFreePort(t) {
  const port = await freePort();
  const address = `tcp://127.0.0.1:${port}`;
  const api = createZmqNetworkDriver(
    await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" }),
    quietContext("network"),
  );
  const session = new Session();
  t.after(() => session.close());
  return { port, address, api, session };
}

/**
 * Wraps `socket[method]` (`unbind`, `bind`) to record, at each call, whether a receive
 * was pending on the socket. zeromq.js runs these on a thread of its own, and a pending
 * receive reads the socket from the main thread meanwhile, which can abort the process
 * (libzmq is not thread-safe): the driver must leave the socket alone first. A pending
 * receive makes another one fail at once with EBUSY; else the probe, run with a timeout
 * of 0, completes at once (a message it takes is lost to the driver: use it where none
 * is expected). Sockets are not extensible, so the method of the socket's class is
 * wrapped, for this socket only, until the test `t` ends.
 */
export function recordPendingReceives(t, socket, method) {
  const calls = [];
  const prototype = Object.getPrototypeOf(socket);
  const own = Object.getOwnPropertyDescriptor(prototype, method);
  const original = prototype[method];
  Object.defineProperty(prototype, method, {
    configurable: true,
    writable: true,
    value: function (...args) {
      if (this === socket) {
        const timeout = socket.receiveTimeout;
        socket.receiveTimeout = 0;
        try {
          socket.receive().catch(() => undefined);
          calls.push({ pending: false });
        } catch (err) {
          calls.push({ pending: err.code === "EBUSY", err: err.code });
        } finally {
          socket.receiveTimeout = timeout;
        }
      }
      return original.apply(this, args);
    },
  });
  t.after(() => {
    if (own === undefined) delete prototype[method];
    else Object.defineProperty(prototype, method, own);
  });
  return calls;
}
