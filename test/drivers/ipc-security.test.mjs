// Who may talk on the multiproc socket: its folder is the service's user's alone, the
// socket's mode is set whatever the umask, a worker refuses a folder another user could
// have taken, and another user cannot connect. Real processes and sockets; the tests that
// need a second user run as root and act as `nobody`, and are skipped otherwise.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { statSync } from "node:fs";
import { chmod, chown, lstat, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { freePort } from "../../dist/testing.js";
import { encodeEvent, encodeTopic } from "../../dist/wire.js";
import { runCli } from "../helpers/cli.mjs";
import { processStarter } from "../helpers/process.mjs";
import { socketDir } from "../helpers/zmq.mjs";

const start = processStarter();

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const needsRoot = asRoot ? false : "needs root, to act as a second user (nobody)";

/**
 * Why nobody cannot load zeromq from this project, for the test where nobody publishes:
 * a folder above it closed to other users (a clone in a home or temporary folder of
 * mode 0700); false when it can.
 */
function zeromqClosedToNobody() {
  for (let dir = dirname(fileURLToPath(import.meta.resolve("zeromq"))); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return `nobody cannot reach this project's zeromq: ${dir} is closed to other users`;
    if (dir === dirname(dir)) return false;
  }
}

/** A port and a socket path in `folder` (default: a fresh one of ours), as --set flags. */
async function topology(folder) {
  const port = await freePort();
  const socket = join(folder ?? join(await socketDir(), "pubsub"), "publisher.sock");
  return { port, socket, sets: ["--set", `publisher_port=${port}`, "--set", `publisher_multiproc_socket=${socket}`] };
}

/** A fresh directory nobody may enter (root's, mode 0755), for folders nobody must reach. */
async function reachableDir() {
  const dir = await socketDir();
  await chmod(dir, 0o755);
  return dir;
}

/** A running `pubsub-run service` with `sets`, under `umask`, once it said ready. */
async function runningService(sets, umask = 0o022) {
  const saved = process.umask(umask);
  let service;
  try {
    service = start(["service", ...sets]);
  } finally {
    process.umask(saved);
  }
  await service.waitFor(/ready: relaying/);
  return service;
}

/** Runs `node -e script` as nobody; resolves with its exit code and output. */
async function asNobody(script, cwd) {
  const child = spawn(process.execPath, ["-e", script], { uid: NOBODY, gid: NOBODY, cwd, env: {}, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk) => (output += chunk));
  const [code] = await once(child, "close");
  return { code, output: output.trim() };
}

describe("publisher_multiproc_socket: the folder", () => {
  it(
    "refuses a folder another user pre-created with mode 0777: exit 2, one line naming the folder, owner, mode and fix",
    { skip: needsRoot },
    async () => {
      const folder = join(await reachableDir(), "pubsub-0");
      await mkdir(folder);
      await chown(folder, NOBODY, NOBODY);
      await chmod(folder, 0o777);
      const { sets } = await topology(folder);
      const { code, stderr } = await runCli(["service", ...sets]);
      assert.equal(code, 2, stderr);
      const lines = stderr.trim().split("\n");
      assert.equal(lines.length, 1, stderr);
      assert.match(
        lines[0],
        new RegExp(
          `publisher_multiproc_socket: folder ${folder} belongs to another user and is writable by others \\(owner uid ${NOBODY}, mode 0777\\); ` +
            `it must belong to uid 0 and not be writable by group or others, else another user can take the socket; remove it, or choose another with --set publisher_multiproc_socket=<path>$`,
        ),
      );
    },
  );

  it("refuses a folder of ours that others may write, and creates a missing one 0700", async () => {
    const folder = join(await socketDir(), "open");
    await mkdir(folder);
    await chmod(folder, 0o777);
    const { code, stderr } = await runCli(["service", ...(await topology(folder)).sets]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /folder .*\/open is writable by others \(owner uid \d+, mode 0777\)/);

    const { socket, sets } = await topology();
    const service = await runningService(sets, 0o000);
    assert.equal((await lstat(join(socket, ".."))).mode & 0o7777, 0o700);
    service.kill("SIGTERM");
    assert.equal((await service.exit()).code, 0);
  });
});

describe("publisher_multiproc_socket: the socket's mode", () => {
  it("is 0600 under umask 000", async () => {
    const { socket, sets } = await topology();
    const service = await runningService(sets, 0o000);
    const stats = await lstat(socket);
    assert.ok(stats.isSocket());
    assert.equal(stats.mode & 0o777, 0o600);
    service.kill("SIGTERM");
    assert.equal((await service.exit()).code, 0);
  });

  it(
    "is 0660 with publisher_multiproc_socket_group, the folder 0750 of that group, and a member may publish",
    { skip: needsRoot || zeromqClosedToNobody() },
    async () => {
      const { port, socket, sets } = await topology(join(await reachableDir(), "pubsub"));
      const group = ["--set", "publisher_multiproc_socket_mode=0660", "--set", "publisher_multiproc_socket_group=nogroup", ...sets];
      const service = await runningService(group, 0o000);
      const [folderStats, socketStats] = await Promise.all([lstat(join(socket, "..")), lstat(socket)]);
      assert.deepEqual([folderStats.mode & 0o7777, folderStats.gid], [0o750, NOBODY]);
      assert.deepEqual([socketStats.mode & 0o7777, socketStats.gid], [0o660, NOBODY]);

      const subscriber = start(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, "--count", "1", ...sets]);
      await subscriber.waitFor(/connected to tcp:\/\/127\.0\.0\.1/);
      const zmq = import.meta.resolve("zeromq");
      const topic = Buffer.from(encodeTopic("D")).toString("base64");
      const injected = await asNobody(
        `import(${JSON.stringify(zmq)}).then(async (zmq) => {
        const push = new zmq.Push(); push.linger = 1000; push.connect(${JSON.stringify(`ipc://${socket}`)});
        await push.send([Buffer.from(${JSON.stringify(topic)}, "base64"), Buffer.from(${JSON.stringify(encodedEvent())}, "base64")]); push.close();
      })`,
        "/",
      );
      assert.equal(injected.code, 0, injected.output);
      assert.equal((await subscriber.exit()).code, 0);
      assert.match(subscriber.stdout.join("\n"), /"table":"from-group"/);
      service.kill("SIGTERM");
      assert.equal((await service.exit()).code, 0);
    },
  );

  it("another user cannot connect to the default 0600 socket, even with the folder opened to them", { skip: needsRoot }, async () => {
    const { socket, sets } = await topology(join(await reachableDir(), "pubsub"));
    const service = await runningService(sets, 0o000);
    await chmod(join(socket, ".."), 0o755); // let nobody reach the socket itself: its mode must stop them
    const probe = await asNobody(
      `require("node:net").createConnection(${JSON.stringify(socket)}).on("connect", () => process.exit(0)).on("error", (e) => { console.log(e.code); process.exit(1); })`,
      "/",
    );
    assert.deepEqual(probe, { code: 1, output: "EACCES" });
    service.kill("SIGTERM");
    assert.equal((await service.exit()).code, 0);
  });
});

describe("publisher_multiproc_socket: the worker side", () => {
  it("refuses to connect to a socket in a folder another user owns and others may write", { skip: needsRoot }, async () => {
    const folder = join(await reachableDir(), "pubsub-0");
    await mkdir(folder);
    await chown(folder, NOBODY, NOBODY);
    await chmod(folder, 0o777);
    const { sets } = await topology(folder);
    const { code, stderr } = await runCli(["publish", "--table", "t", "--key", "k", "--action", "set", ...sets]);
    assert.notEqual(code, 0);
    assert.match(
      stderr,
      new RegExp(
        `publisher_multiproc_socket: refusing to connect to ${folder}/publisher.sock: folder ${folder} belongs to another user and is writable by others`,
      ),
    );
  });
});

describe("pubsub-run check: the socket path", () => {
  it("refuses a socket path longer than 107 bytes, naming publisher_multiproc_socket", async () => {
    const dir = await socketDir();
    const long = join(dir, "x".repeat(120 - dir.length - 1));
    assert.equal(Buffer.byteLength(long), 120);
    const { code, stderr } = await runCli(["check", "--set", `publisher_multiproc_socket=${long}`]);
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(
      stderr,
      /publisher_multiproc_socket: socket path .* is longer than 107 bytes; choose another with --set publisher_multiproc_socket=<path>/,
    );
  });
});

/** One event as the wire carries it, base64, for a raw PUSH run as another user. */
function encodedEvent() {
  return Buffer.from(encodeEvent({ table: "from-group", key: "1", action: "set", value: 1 }, "D")).toString("base64");
}
