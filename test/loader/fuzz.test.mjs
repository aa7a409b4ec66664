// Malformed configs from every source: each fails fast with a one-line coded error that
// names where the value came from and the option, and none touches Object.prototype.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFile, mkdir, chmod } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError, ConfigNotFoundError, ConfigSyntaxError, resolveConfig } from "../../dist/index.js";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";

const FORBIDDEN = ["__proto__", "constructor", "prototype"];
const INT_OPTIONS = [
  "publisher_port",
  "zmq.linger_ms",
  "zmq.send_high_water_mark",
  "zmq.heartbeat_timeout_ms",
  "redis.connect_timeout_ms",
  "nats.linger_ms",
];
/** Values a YAML file may give an integer option, none of which it takes. */
const BAD_FILE_INTEGERS = ["true", "false", "1e30", "9007199254740993", ".inf", "-.inf", "1.5", "abc", "[1]", "6553600000"];
/** Text (`--set`, INI) an integer option does not take. */
const BAD_TEXT_INTEGERS = ["Infinity", "1e3", "0x10", "1".repeat(400), "true", "", "9007199254740993", "1.5", "2147483648", "-9"];

/** `[section, key]` of a dotted option, for files. */
const split = (option) => (option.includes(".") ? option.split(".") : [undefined, option]);

function yamlOf(option, value) {
  const [section, key] = split(option);
  return section === undefined ? `${key}: ${value}\n` : `${section}:\n  ${key}: ${value}\n`;
}

function iniOf(option, value) {
  const [section, key] = split(option);
  return section === undefined ? `${key} = ${value}\n` : `[${section}]\n${key} = ${value}\n`;
}

/** Every case: where it comes from, and the text its error must name (besides the source). */
function cases() {
  const all = [];
  const file = (name, content, option, ext = "yaml") => all.push({ name, file: { ext, content }, option });
  const set = (assignment, option) => all.push({ name: `--set ${assignment.slice(0, 40)}`, set: [assignment], option });
  const env = (name, value, option) => all.push({ name: `${name}=${value.slice(0, 40)}`, env: { [name]: value }, option });

  for (const key of FORBIDDEN) {
    file(`yaml top-level ${key}`, `${key}:\n  polluted: 1\n`, key);
    file(`yaml nested ${key}`, `zmq:\n  ${key}:\n    polluted: 1\n`, `zmq.${key}`);
    file(`yaml deep ${key}`, `drivers:\n  x:\n    ${key}:\n      polluted: 1\n`, key);
    file(`json top-level ${key}`, `{"${key}":{"polluted":1}}`, key, "json");
    file(`json ${key} in a list`, `{"topics":[{"${key}":{"polluted":1}}]}`, key, "json");
    file(`json nested ${key}`, `{"drivers":{"${key}":{"polluted":1}}}`, `drivers.${key}`, "json");
    file(`ini key ${key}`, `${key} = 1\n`, key, "ini");
    file(`ini section ${key}`, `[${key}]\npolluted = 1\n`, key, "ini");
    file(`ini nested section ${key}`, `[zmq.${key}]\npolluted = 1\n`, key, "ini");
    set(`${key}.polluted=1`, key);
    set(`zmq.${key}.polluted=1`, key);
    set(`drivers={"${key}":{"polluted":"1"}}`, key);
    env("PUBSUB_DRIVERS", `{"${key}":{"polluted":"1"}}`, key);
    env("PUBSUB_TOPICS", `[{"${key}":{"polluted":1}}]`, key);
  }
  for (const option of INT_OPTIONS) {
    for (const value of BAD_FILE_INTEGERS) file(`yaml ${option}: ${value}`, yamlOf(option, value), option);
    for (const value of BAD_TEXT_INTEGERS) set(`${option}=${value}`, option);
    file(`ini ${option} = 1e30`, iniOf(option, "1e30"), option, "ini");
  }
  file("json 2^53 + 1", '{"zmq":{"linger_ms":9007199254740993}}', "zmq.linger_ms", "json");
  file("json 1e400", '{"publisher_port":1e400}', "publisher_port", "json");
  file("zmq int32 + 1", "zmq:\n  receive_high_water_mark: 2147483648\n", "zmq.receive_high_water_mark");
  file("heartbeat ttl past libzmq's", "zmq:\n  heartbeat_timeout_ms: 6553600\n", "zmq.heartbeat_timeout_ms");
  for (const value of BAD_TEXT_INTEGERS) env("PUBSUB_PUBLISHER_PORT", value, "publisher_port");

  file("ini broken JSON list", "topics = [1,2\n", "topics", "ini");
  file("ini map for a list", 'publishers = {"a":1}\n', "publishers", "ini");
  file("yaml map for a list", "topics:\n  a: 1\n", "topics");
  file("json map for a list", '{"topics":{"a":1}}', "topics", "json");
  set("topics=[1,2", "topics");
  set('topics={"a":1}', "topics");
  set('nats.servers=["nats://a:1"', "nats.servers");
  set("drivers={mine", "drivers");
  env("PUBSUB_TOPICS", '{"a":1}', "topics");
  env("PUBSUB_PUBLISHERS", "[tcp://x", "publishers");

  file("100k-deep JSON map", `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`, "nested more than", "json");
  file("100k-deep JSON list", `{"topics":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, "topics", "json");
  file("deep YAML", `topics: ${"[".repeat(5000)}${"]".repeat(5000)}\n`, "YAML syntax error");
  const bomb = ["topics:", '  - &a ["x","x","x","x","x","x","x","x","x"]'];
  "bcdefghi".split("").forEach((name, i) => bomb.push(`  - &${name} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(",")}]`));
  file("YAML alias bomb", `${bomb.join("\n")}\n`, "YAML aliases");
  file(
    "YAML alias fan-out",
    `topics: &t [${Array(50).fill('"x"').join(",")}]\nzmq: {}\ndrivers:\n${Array.from({ length: 300 }, (_, i) => `  d${i}: *t`).join("\n")}\n`,
    "YAML aliases",
  );
  file("toml file", "publisher_port = 1\n", "unsupported config format '.toml'", "toml");
  file("conf file", "publisher_port = 1\n", ".yaml, .yml, .json, .ini", "conf");
  return all;
}

/** Own names of Object.prototype and friends, to compare after each case. */
function prototypeSnapshot() {
  return [Object.prototype, Function.prototype, Array.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join(","));
}

function assertOneLine(err, { source, option }) {
  assert.ok(
    err instanceof ConfigError || err instanceof ConfigSyntaxError || err instanceof ConfigNotFoundError,
    `not a config error: ${err?.stack}`,
  );
  assert.doesNotMatch(err.message, /\n/, "one line");
  assert.ok(err.message.includes(source), `names the source ${source}: ${err.message}`);
  if (option !== undefined) assert.ok(err.message.includes(option), `names ${option}: ${err.message}`);
}

describe("hardened config: malformed input fails fast, in one line, and pollutes nothing", () => {
  let project;
  const all = cases();
  const before0 = prototypeSnapshot();
  before(async () => {
    project = await makeProject();
  });
  after(async () => {
    assert.deepEqual(prototypeSnapshot(), before0);
    await project.cleanup();
  });

  it("has at least 100 cases", () => assert.ok(all.length >= 100, `${all.length} cases`));

  all.forEach((c, i) => {
    it(c.name, async () => {
      let configPath;
      let source;
      if (c.file !== undefined) {
        configPath = join(project.dir, `case${i}.${c.file.ext}`);
        await writeFile(configPath, c.file.content);
        source = `case${i}.${c.file.ext}`;
      } else source = c.set !== undefined ? "--set" : Object.keys(c.env)[0];
      const started = performance.now();
      await assert.rejects(resolveConfig({ cwd: project.dir, configPath, env: c.env ?? {}, overrides: c.set }), (err) => {
        assertOneLine(err, { source, option: c.option });
        return true;
      });
      const ms = performance.now() - started;
      assert.ok(ms < 2000, `took ${Math.round(ms)} ms`);
      assert.equal({}.polluted, undefined);
      assert.deepEqual(prototypeSnapshot(), before0);
    });
  });

  it("overrides given as an object are checked too", async () => {
    const overrides = JSON.parse('{"__proto__":{"polluted":1}}');
    await assert.rejects(resolveConfig({ cwd: project.dir, env: {}, overrides }), /overrides: __proto__: key '__proto__' is refused/);
    assert.equal({}.polluted, undefined);
  });

  it("a FIFO, a directory and a device are refused without reading them", async () => {
    const fifo = join(project.dir, "fifo.yaml");
    execFileSync("mkfifo", [fifo]);
    await mkdir(join(project.dir, "dir.yaml"));
    for (const [path, kind] of [
      [fifo, "a FIFO"],
      [join(project.dir, "dir.yaml"), "a directory"],
      ["/dev/null", "a device"],
    ]) {
      await assert.rejects(resolveConfig({ cwd: project.dir, configPath: path, env: {} }), (err) => {
        assert.ok(err instanceof ConfigNotFoundError);
        assert.match(err.message, new RegExp(`config path is ${kind}, not a regular file`));
        return true;
      });
    }
  });

  it("a FIFO among the search places is refused, not read", async () => {
    const { dir, cleanup } = await makeProject();
    execFileSync("mkfifo", [join(dir, "pubsub.config.yaml")]);
    await assert.rejects(resolveConfig({ cwd: dir, env: {} }), /pubsub\.config\.yaml: config path is a FIFO/);
    await cleanup();
  });

  it("an unreadable file is named", { skip: process.getuid?.() === 0 ? "root reads any file" : false }, async () => {
    const path = join(project.dir, "secret.yaml");
    await writeFile(path, "publisher_port: 1\n");
    await chmod(path, 0o000);
    await assert.rejects(
      resolveConfig({ cwd: project.dir, configPath: path, env: {} }),
      /secret\.yaml: config file cannot be read \(EACCES\)/,
    );
  });
});

describe("hardened config through pubsub-run check", () => {
  let project;
  before(async () => {
    project = await makeProject({ "proto.json": '{"__proto__":{"polluted":1}}', "big.yaml": "zmq:\n  linger_ms: 1e30\n", "x.toml": "" });
    execFileSync("mkfifo", [join(project.dir, "fifo.yaml")]);
  });
  after(() => project.cleanup());

  for (const [name, args, env, expected] of [
    [
      "__proto__ in --set",
      ["--set", "__proto__.polluted=1"],
      {},
      /^pubsub-run: --set __proto__\.polluted: __proto__: key '__proto__' is refused/,
    ],
    ["__proto__ in a JSON file", ["--config", "proto.json"], {}, /proto\.json: __proto__: key '__proto__' is refused/],
    ["1e30 in YAML", ["--config", "big.yaml"], {}, /big\.yaml: zmq\.linger_ms: must be an integer between/],
    ["a FIFO", ["--config", "fifo.yaml"], {}, /fifo\.yaml: config path is a FIFO/],
    [".toml", ["--config", "x.toml"], {}, /x\.toml: unsupported config format '\.toml'/],
    [
      "a 400-digit port",
      [],
      { PUBSUB_PUBLISHER_PORT: "9".repeat(400) },
      /PUBSUB_PUBLISHER_PORT: publisher_port: must be an integer between/,
    ],
    ["a broken JSON list", ["--set", "topics=[1,2"], {}, /--set topics: topics: not valid JSON/],
  ]) {
    it(`${name}: exit 2, one line, no stack`, async () => {
      const { code, stderr } = await runCli(["check", ...args], { cwd: project.dir, env });
      assert.equal(code, 2, stderr);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.match(stderr, expected);
      assert.doesNotMatch(stderr, /\n\s+at /);
    });
  }
});
