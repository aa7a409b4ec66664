// Throwaway redis-server, nats-server and etcd processes on free loopback ports, for tests and
// benchmarks (which import it after the build, as it takes its ports from dist/testing.js):
//
//   import { startRedis, startNats, startEtcd, brokerSkipReason } from "../test/helpers/servers.mjs";
//   const redis = await startRedis();          // { url, port, stop(), restart() }
//   ... use redis.url ...
//   await redis.stop();
//
// A server is ready when it says so in its log ("Ready to accept connections",
// "Server is ready"), never after a fixed delay. Every server still running when the
// process exits is killed, so a crashed test leaves none behind.
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "../../dist/testing.js";

/** How long a server may take to say it is ready before starting it fails. */
const READY_MS = 20_000;

/** Debian installs nats-server in /usr/sbin, which a non-root PATH often lacks. */
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

const running = new Set();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** The absolute path of `name` on PATH (or in the sbin folders), or undefined. */
export function findBinary(name) {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Why a suite that needs `binary` ("redis-server", "nats-server", "etcd") cannot run here, or
 * false when it can: pass it to node:test's `skip` so the reason is printed, never silent.
 */
export function brokerSkipReason(binary) {
  const file = findBinary(binary);
  if (file === undefined) return `${binary} not installed: run scripts/test-deps.sh as root`;
  const probe = spawnSync(file, ["--version"], { encoding: "utf8" });
  if (probe.status !== 0) return `${binary} --version failed (${(probe.stderr || probe.error?.message || "").trim()}): reinstall it`;
  return false;
}

/**
 * A redis-server on 127.0.0.1 that persists nothing, in a temporary folder removed on
 * close(). `args` are extra redis-server options, e.g. ["--requirepass", "secret"].
 * With `tls: { cert, key, ca, authClients }` (PEM file paths) it serves TLS only, and
 * its url is `rediss://`. Resolves once it accepts connections.
 */
export async function startRedis({ port, args = [], tls } = {}) {
  const binary = requireBinary("redis-server");
  const dir = await mkdtemp(join(tmpdir(), "pubsub-redis-"));
  const chosen = port ?? (await freePort());
  const listen =
    tls === undefined
      ? ["--port", String(chosen)]
      : [
          "--port",
          "0",
          "--tls-port",
          String(chosen),
          "--tls-cert-file",
          tls.cert,
          "--tls-key-file",
          tls.key,
          "--tls-ca-cert-file",
          tls.ca,
          "--tls-auth-clients",
          tls.authClients ? "yes" : "no",
        ];
  const argv = [
    ...listen,
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--daemonize",
    "no",
    "--logfile",
    "",
    "--protected-mode",
    "no",
    ...args,
  ];
  const scheme = tls === undefined ? "redis" : "rediss";
  return managed({
    binary,
    argv,
    port: chosen,
    scheme,
    ready: /Ready to accept connections/,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
}

/**
 * A nats-server on 127.0.0.1. `args` are extra options, e.g. ["--user", "u", "--pass", "p"].
 * Resolves once it accepts connections.
 */
export async function startNats({ port, args = [] } = {}) {
  const binary = requireBinary("nats-server");
  const chosen = port ?? (await freePort());
  const argv = ["-a", "127.0.0.1", "-p", String(chosen), ...args];
  return managed({ binary, argv, port: chosen, scheme: "nats", ready: /Server is ready/ });
}

/**
 * A single-member etcd on 127.0.0.1 with its data in a temporary folder removed on
 * close(). Its url is `http://127.0.0.1:<port>` (`https://` with `tls: { certFile,
 * keyFile }`, the server's certificate and key); `hosts` is `["127.0.0.1:<port>"]`, the
 * form of `remote_db_hosts`. Resolves once it serves clients.
 */
export async function startEtcd({ port, args = [], tls } = {}) {
  const binary = requireBinary("etcd");
  const dir = await mkdtemp(join(tmpdir(), "pubsub-etcd-"));
  const chosen = port ?? (await freePort());
  const peerPort = await freePort();
  const scheme = tls === undefined ? "http" : "https";
  const client = `${scheme}://127.0.0.1:${chosen}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const argv = [
    "--name",
    "pubsub-test",
    "--data-dir",
    join(dir, "data"),
    "--listen-client-urls",
    client,
    "--advertise-client-urls",
    client,
    "--listen-peer-urls",
    peer,
    "--initial-advertise-peer-urls",
    peer,
    "--initial-cluster",
    `pubsub-test=${peer}`,
    ...(tls === undefined ? [] : ["--cert-file", tls.certFile, "--key-file", tls.keyFile]),
    ...args,
  ];
  const server = await managed({
    binary,
    argv,
    port: chosen,
    scheme,
    ready: /ready to serve client requests/,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
  return Object.assign(server, { hosts: [`127.0.0.1:${chosen}`] });
}

function requireBinary(name) {
  const file = findBinary(name);
  if (file === undefined) throw new Error(`${name} not installed: run scripts/test-deps.sh as root`);
  return file;
}

/**
 * A server process that can be stopped and started again on the same port: the
 * restart scenario of the conformance suite.
 */
async function managed({ binary, argv, port, scheme, ready, cleanup }) {
  let current = await launch(binary, argv, ready);
  const server = {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    /** The live process's output lines so far. */
    get output() {
      return current.lines;
    },
    /** Stops the process (SIGTERM) and waits for it to exit. */
    async stop() {
      await current.stop();
    },
    /** Sends `signal` to the process: SIGSTOP, and SIGCONT after it, make a server that stops answering. */
    signal(signal) {
      current.signal(signal);
    },
    /** Stops the process and starts it again on the same port; resolves once it is ready. */
    async restart() {
      await current.stop();
      current = await launch(binary, argv, ready);
    },
    /** Stops the process and removes its folder. Safe to call twice. */
    async close() {
      await current.stop();
      await cleanup?.();
    },
  };
  return server;
}

function launch(binary, argv, ready) {
  const child = spawn(binary, argv, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const lines = [];
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      child.kill("SIGCONT"); // one that was stopped takes the SIGTERM now
    }
    await exited;
  };
  const signal = (name) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
  };
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${binary} ${argv.join(" ")}: ${why}\n${lines.join("\n")}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${READY_MS} ms`), READY_MS);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        lines.push(line);
        if (ready.test(line)) {
          clearTimeout(timer);
          resolve({ lines, stop, signal });
        }
      });
    }
    child.once("error", (err) => fail(err.message));
    exited.then(({ code, signal }) => fail(`exited before it was ready (code ${code}, signal ${signal})`));
  });
}
