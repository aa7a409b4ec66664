// Logs of pubsub-run: log_level / --log-level / PUBSUB_LOG_LEVEL / --debug, seen in the
// real output of real processes; --stats silent while idle; JSON lines when pino-pretty
// is missing.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import { freePort } from "../../dist/testing.js";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";
import { processStarter } from "../helpers/process.mjs";
import { rawPush, socketDir } from "../helpers/zmq.mjs";

const start = processStarter();

/** pino's numeric levels. */
const LEVEL = { trace: 10, debug: 20, info: 30, warn: 40 };

async function topology() {
  const port = await freePort();
  const socket = join(await socketDir(), "publisher.sock");
  return { port, socket, sets: ["--set", `publisher_port=${port}`, "--set", `publisher_multiproc_socket=${socket}`] };
}

const records = (lines) => lines.map((line) => JSON.parse(line));

async function stop(service) {
  service.kill("SIGTERM");
  assert.deepEqual(await service.exit(), { code: 0, signal: null });
}

describe("pubsub-run: log levels", () => {
  it("info by default: no debug lines before ready", async () => {
    const { sets } = await topology();
    const service = start(["service", "--json", ...sets]);
    await service.waitFor(/"msg":"ready: relaying/);
    assert.deepEqual(
      records(service.stderr).filter((r) => r.level < LEVEL.info),
      [],
    );
    await stop(service);
  });

  it("--debug implies debug: the config line shows", async () => {
    const { sets } = await topology();
    const service = start(["service", "--json", "--debug", ...sets]);
    await service.waitFor(/"msg":"ready: relaying/);
    const debug = records(service.stderr).filter((r) => r.level === LEVEL.debug);
    assert.equal(debug.length, 1, service.stderr.join("\n"));
    assert.match(debug[0].msg, /^config read from /);
    assert.equal(debug[0].level, LEVEL.debug);
    await stop(service);
  });

  it("--log-level warn: warnings show, info lines do not", async () => {
    const { socket, sets } = await topology();
    const service = start(["service", "--json", "--log-level", "warn", ...sets]);
    // A PUSH socket holds the message until the service's inbox is bound: no wait for "ready".
    const garbage = await rawPush(`ipc://${socket}`);
    try {
      await garbage.send([Buffer.from("not an event")]);
      await service.waitFor(/undecodable/);
    } finally {
      await garbage.close();
    }
    await stop(service);
    const levels = records(service.stderr).map((r) => r.level);
    assert.ok(levels.length >= 1 && levels.every((level) => level >= LEVEL.warn), service.stderr.join("\n"));
  });

  it("--log-level wins over PUBSUB_LOG_LEVEL", async () => {
    const { sets } = await topology();
    const service = start(["service", "--json", "--log-level", "debug", ...sets], { env: { PUBSUB_LOG_LEVEL: "error" } });
    await service.waitFor(/"msg":"config read from /);
    await service.waitFor(/"msg":"ready: relaying/);
    await stop(service);
  });

  it("PUBSUB_LOG_LEVEL and --log-level reach the effective config; a bad level is exit 2, one line", async () => {
    const fromEnv = await runCli(["check"], { env: { PUBSUB_LOG_LEVEL: "warn" } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /"log_level": "warn"/);
    const fromFlag = await runCli(["check", "--log-level", "trace"], { env: { PUBSUB_LOG_LEVEL: "warn" } });
    assert.match(fromFlag.stdout, /"log_level": "trace"/);

    for (const command of ["service", "subscribe", "publish", "check"]) {
      const bad = await runCli([command, "--log-level", "loud"]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.equal(
        bad.stderr,
        `pubsub-run ${command}: --log-level: must be one of trace, debug, info, warn, error, fatal, silent (got "loud")\n`,
      );
    }
    const badEnv = await runCli(["service"], { env: { PUBSUB_LOG_LEVEL: "loud" } });
    assert.equal(badEnv.code, 2, badEnv.stderr);
    assert.match(badEnv.stderr, /^pubsub-run: PUBSUB_LOG_LEVEL: log_level: must be one of/);
  });
});

describe("pubsub-run service --stats", () => {
  it("logs a stats line only when a counter moved: silent while idle", async () => {
    const { sets } = await topology();
    // At trace level each interval that logs nothing says so: that is what is waited for.
    const service = start(["service", "--json", "--log-level", "trace", "--stats", "0.05", ...sets]);
    const idle = /no counter moved/;
    await service.waitForCount(idle, 3, "stderr");
    const statsLines = () => records(service.stderr).filter((r) => r.level === LEVEL.info && /^stats \(every/.test(r.msg));
    assert.deepEqual(statsLines(), [], "nothing moved, nothing logged");

    const published = await runCli(["publish", "--table", "t", "--key", "k", "--action", "set", ...sets]);
    assert.equal(published.code, 0, published.stderr);
    const moved = JSON.parse(await service.waitFor(/"msg":"stats \(every 0\.05s\)"/));
    assert.equal(moved.relayed, 1);
    assert.equal(moved.level, LEVEL.info);
    const idleBefore = service.stderr.filter((line) => idle.test(line)).length;
    await service.waitForCount(idle, idleBefore + 3, "stderr");
    assert.equal(statsLines().length, 1, "idle again: no second line");
    await stop(service);
  });
});

describe("pubsub-run: readable logs", () => {
  it("human-readable lines by default (pino-pretty)", async () => {
    const { sets } = await topology();
    const service = start(["service", ...sets]);
    const ready = await service.waitFor(/ready: relaying/);
    assert.match(ready, /INFO.*\(pubsub-service\): ready: relaying/);
    assert.throws(() => JSON.parse(ready));
    await stop(service);
  });

  it("without pino-pretty: one line saying so, then JSON lines", async () => {
    const project = await makeProject();
    try {
      // Resolving "pino-pretty" fails, as it does when the optional dependency is not installed.
      const hook = `export async function resolve(specifier, context, next) {
  if (specifier === "pino-pretty") throw Object.assign(new Error("Cannot find package 'pino-pretty'"), { code: "ERR_MODULE_NOT_FOUND" });
  return next(specifier, context);
}
`;
      await writeFile(join(project.dir, "hook.mjs"), hook);
      const register = join(project.dir, "register.mjs");
      await writeFile(
        register,
        `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(project.dir, "hook.mjs")).href)});\n`,
      );
      const { sets } = await topology();
      const service = start(["service", ...sets], { env: { NODE_OPTIONS: `--import=${pathToFileURL(register).href}` } });
      const ready = JSON.parse(await service.waitFor(/"msg":"ready: relaying/));
      assert.equal(ready.level, LEVEL.info);
      assert.equal(
        service.stderr[0],
        "pubsub-service: pino-pretty is not installed, so logs are JSON lines (npm install pino-pretty for readable ones, or pass --json)",
      );
      await stop(service);
    } finally {
      await project.cleanup();
    }
  });
});
