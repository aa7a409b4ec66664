// The library's logger: pino JSON lines on stderr, filtered by level, errors on one line.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { DIST_URL } from "./helpers/fixtures.mjs";

const run = promisify(execFile);

describe("createLogger() and createStderrLogger()", () => {
  it("write JSON lines to stderr at their level and above; an error is {code?, message} with its causes", async () => {
    const script = `
      import { createLogger, createStderrLogger, ConfigError } from ${JSON.stringify(DIST_URL)};
      const logger = createLogger({ level: "warn", name: "app" });
      logger.info({}, "info: filtered");
      logger.warn({ err: new ConfigError("bad", { cause: new Error("root") }) }, "warn: shown");
      createStderrLogger().info({}, "default is warn: filtered");
      createStderrLogger("debug").debug({ n: 1 }, "debug: shown");
      createStderrLogger("silent").error({}, "silent: filtered");
    `;
    const { stdout, stderr } = await run(process.execPath, ["--input-type=module", "-e", script]);
    assert.equal(stdout, "");
    const records = stderr
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      records.map((r) => [r.level, r.name, r.msg]),
      [
        [40, "app", "warn: shown"],
        [20, "pubsub", "debug: shown"],
      ],
    );
    assert.deepEqual(records[0].err, { code: "PUBSUB_ERR_CONFIG", message: "bad: root" });
    assert.equal(records[1].n, 1);
  });

  it("debug: logs an error whole, but a client's command by its name alone, its arguments (a password) masked", async () => {
    const script = `
      import { createLogger } from ${JSON.stringify(DIST_URL)};
      const refused = Object.assign(new Error("WRONGPASS invalid username-password pair"), {
        command: { name: "hello", args: ["3", "AUTH", "default", "old-secret-1"] },
      });
      const inside = new AggregateError([Object.assign(new Error("NOAUTH"), { command: { name: "auth", args: ["old-secret-2"] } })], "all refused");
      const details = { command: { name: "get", args: ["kept-arg"] }, stack: "not an error" };
      const logger = createLogger({ debug: true });
      logger.warn({ err: refused }, "refused");
      logger.warn({ err: Object.assign(inside, { details }) }, "aggregate");
      process.stdout.write(JSON.stringify([refused.command.args.length, details.command.args]));
    `;
    const { stdout, stderr } = await run(process.execPath, ["--input-type=module", "-e", script]);
    assert.doesNotMatch(stderr, /old-secret/);
    const [refused, aggregate] = stderr
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(refused.err.command, { name: "hello", args: "***" });
    assert.match(refused.err.stack, /WRONGPASS/);
    assert.deepEqual(aggregate.err.aggregateErrors[0].command, { name: "auth", args: "***" });
    // The caller's objects are not changed; an object that is no error is logged as it is.
    assert.deepEqual(aggregate.err.details.command, { name: "get", args: ["kept-arg"] });
    assert.equal(stdout, JSON.stringify([4, ["kept-arg"]]));
  });
});
