import { spawn } from "node:child_process";
import { accessSync, constants, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import { EXPIRED, within } from "../agents/deadline.js";
import { DbError } from "../errors.js";
import { freePort } from "../testing/ports.js";

/** How long the private etcd may take to say it serves clients. */
const READY_MS = 20_000;
/** Lines of etcd's output kept for the message when it fails. */
const KEPT_LINES = 20;

/** A single-member etcd of the demo's own, on 127.0.0.1, with its data in a temporary folder. */
export interface PrivateEtcd {
  /** Its client address as `remote_db_hosts` takes it: `127.0.0.1:<port>`. */
  readonly host: string;
  /** Where its data lives until {@link close}. */
  readonly dataDir: string;
  /** Stops it (SIGTERM, then waits for the exit) and removes its folder. Safe to call twice. */
  close(): Promise<void>;
}

/** The absolute path of the executable `name` in the folders of `path` (PATH's form), or undefined. */
export function findOnPath(name: string, path: string = process.env["PATH"] ?? ""): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * Starts `binary` (an etcd) on two free loopback ports with a fresh data folder, and
 * resolves once it says it serves clients. If the demo's process ends without
 * {@link PrivateEtcd.close} (a crash), the etcd is killed and its folder removed then.
 *
 * @throws {@link DbError} when it exits, or does not get ready within 20 s, with its last line.
 */
export async function startPrivateEtcd(binary: string): Promise<PrivateEtcd> {
  const dir = await mkdtemp(join(tmpdir(), "pubsub-demo-etcd-"));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    binary,
    [
      ...["--name", "pubsub-demo", "--data-dir", join(dir, "data")],
      ...["--listen-client-urls", client, "--advertise-client-urls", client],
      ...["--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", `pubsub-demo=${peer}`],
    ],
    // Its own process group: on a Ctrl-C the demo stops its services before the database.
    { stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const onExit = (): void => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => resolve(`exited (code ${code}, signal ${signal})`));
    child.once("error", (err) => resolve(`could not run: ${err.message}`));
  });
  const lines: string[] = [];
  let ready: () => void = () => undefined;
  const served = new Promise<string>((resolve) => (ready = () => resolve("ready")));
  for (const stream of [child.stdout, child.stderr]) {
    // Read to the end, always: etcd blocks once a pipe nobody reads is full.
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      if (/ready to serve client requests/.test(line)) ready();
    });
  }
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      process.off("exit", onExit);
      await rm(dir, { recursive: true, force: true });
    })();
    return closed;
  };
  const outcome = await within(Promise.race([served, exited]), READY_MS);
  if (outcome !== "ready") {
    await close();
    const why = outcome === EXPIRED ? `was not ready within ${READY_MS / 1000} s` : outcome;
    throw new DbError(
      `pubsub-run demo --discovery: the private etcd (${binary}) ${why}: ${lines.at(-1) ?? "no output"}; ` +
        "set nb_db_class and remote_db_hosts to use a database that runs",
    );
  }
  return { host: `127.0.0.1:${clientPort}`, dataDir: dir, close };
}
