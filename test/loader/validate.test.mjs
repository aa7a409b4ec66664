import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConfigError, resolveConfig } from "../../dist/index.js";
import { makeProject } from "../helpers/fixtures.mjs";

describe("validation errors: one line naming file, option, problem and value", () => {
  let project;
  const cwd = process.cwd();
  before(async () => {
    project = await makeProject();
    process.chdir(project.dir); // error messages show paths relative to the working directory
  });
  after(async () => {
    process.chdir(cwd);
    await project.cleanup();
  });

  async function rejectsWith(yaml, expected) {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${project.dir}/pubsub.config.yaml`, yaml);
    await assert.rejects(resolveConfig({ cwd: project.dir, env: {} }), (err) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.code, "PUBSUB_ERR_CONFIG");
      assert.doesNotMatch(err.message, /\n/);
      if (expected instanceof RegExp) assert.match(err.message, expected);
      else assert.equal(err.message, expected);
      return true;
    });
  }

  /** Like rejectsWith, with a valid file and `--set` assignments that are not. */
  async function setRejectsWith(assignments, expected) {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${project.dir}/pubsub.config.yaml`, "publisher_port: 8866\n");
    await assert.rejects(resolveConfig({ cwd: project.dir, env: {}, overrides: assignments }), (err) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.message, expected);
      return true;
    });
  }

  it("unknown option with a near miss: did you mean", () =>
    rejectsWith("publisher_prot: 8866\n", "pubsub.config.yaml: publisher_prot: unknown option; did you mean publisher_port?"));

  it("unknown option far from any: lists the valid options", () =>
    rejectsWith(
      "colour: blue\n",
      /^pubsub\.config\.yaml: colour: unknown option; valid options: pub_sub_driver, pub_sub_multiproc_driver, publisher_port, /,
    ));

  it("port above range", () => rejectsWith("publisher_port: 70000\n", "pubsub.config.yaml: publisher_port: must be <= 65535 (got 70000)"));

  it("port of the wrong type", () =>
    rejectsWith("publisher_port: eighty\n", 'pubsub.config.yaml: publisher_port: must be an integer (got "eighty")'));

  it("boolean of the wrong type", () =>
    rejectsWith("pub_sub_use_multiproc: maybe\n", 'pubsub.config.yaml: pub_sub_use_multiproc: must be a boolean (got "maybe")'));

  it("transport not a transport name", () =>
    rejectsWith("publisher_transport: TCP://\n", 'pubsub.config.yaml: publisher_transport: must match ^[a-z][a-z0-9+.-]*$ (got "TCP://")'));

  it("empty driver name", () => rejectsWith('pub_sub_driver: ""\n', 'pubsub.config.yaml: pub_sub_driver: must not be empty (got "")'));

  it("publisher address that is not a URI, with its index", () =>
    rejectsWith(
      "publishers: [tcp://ok:1, not-a-uri]\n",
      'pubsub.config.yaml: publishers.1: must match ^[a-z][a-z0-9+.-]*://.+$ (got "not-a-uri")',
    ));

  it("topics that is a map, not a list", () =>
    rejectsWith("topics: {a: 1}\n", 'pubsub.config.yaml: topics: must be an array (got {"a":1})'));

  it("driver alias with a bad name", () =>
    rejectsWith(
      'drivers:\n  "bad alias": ./x.mjs\n',
      "pubsub.config.yaml: drivers.bad alias: invalid name; use letters, digits, '_', '.' and '-'",
    ));

  it("a file that is not a mapping", () =>
    rejectsWith("- just\n- a list\n", "pubsub.config.yaml: the file must hold a mapping of option names to values (got a list)"));

  it("unknown option cut short: suggests the option it begins", () =>
    rejectsWith(
      "publisher_multiproc: /tmp/x.sock\n",
      "pubsub.config.yaml: publisher_multiproc: unknown option; did you mean publisher_multiproc_socket?",
    ));

  it("inside zmq: a typo, from --set, suggests the nearest zmq option", async () => {
    await setRejectsWith(["zmq.lingr_ms=1"], "--set zmq.lingr_ms: zmq.lingr_ms: unknown option; did you mean linger_ms?");
  });

  it("inside zmq: a name cut short still gets a suggestion (linger -> linger_ms)", async () => {
    await setRejectsWith(["zmq.linger=1"], "--set zmq.linger: zmq.linger: unknown option; did you mean linger_ms?");
  });

  it("inside zmq: far from any zmq option, lists the zmq options", () =>
    rejectsWith(
      "zmq:\n  colour: blue\n",
      /^pubsub\.config\.yaml: zmq\.colour: unknown option; valid options: send_high_water_mark, multiproc_send_high_water_mark, receive_high_water_mark, linger_ms, /,
    ));

  it("inside zmq: a value of the wrong type or range names the full path", async () => {
    await rejectsWith("zmq:\n  linger_ms: soon\n", 'pubsub.config.yaml: zmq.linger_ms: must be an integer (got "soon")');
    await setRejectsWith(
      ["zmq.reconnect_interval_ms=0"],
      "--set zmq.reconnect_interval_ms: zmq.reconnect_interval_ms: must be >= 1 (got 0)",
    );
  });

  it("inside zmq: names the --set that set the bad value, not another --set of zmq, nor the file's zmq", async () => {
    await setRejectsWith(["zmq.linger_ms=-5", "zmq.batch=true"], "--set zmq.linger_ms: zmq.linger_ms: must be >= -1 (got -5)");
    await setRejectsWith(["zmq.batch=true", "zmq.linger_ms=-5"], "--set zmq.linger_ms: zmq.linger_ms: must be >= -1 (got -5)");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${project.dir}/pubsub.config.yaml`, "zmq:\n  linger_ms: -5\n");
    await assert.rejects(resolveConfig({ cwd: project.dir, env: {}, overrides: ["zmq.batch=true"] }), {
      message: /^\S*pubsub\.config\.yaml: zmq\.linger_ms: must be >= -1 \(got -5\)$/,
    });
  });

  it("lists every problem in `problems`, the first in the message", async () => {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${project.dir}/pubsub.config.yaml`, "publisher_port: 0\npublisher_prot: 1\n");
    await assert.rejects(resolveConfig({ cwd: project.dir, env: {} }), (err) => {
      assert.equal(err.problems.length, 2);
      assert.equal(err.message, err.problems[0]);
      return true;
    });
  });
});
