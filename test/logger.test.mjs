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
});
