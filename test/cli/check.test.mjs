import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.mjs";
import { MEMORY_DRIVER, makeProject } from "../helpers/fixtures.mjs";

describe("pubsub-run check", () => {
  let project;
  before(async () => {
    project = await makeProject({
      "drivers/memory.mjs": MEMORY_DRIVER,
      "pubsub.config.yaml":
        "pub_sub_driver: mem\npub_sub_multiproc_driver: ./drivers/memory.mjs\ndrivers:\n  mem: ./drivers/memory.mjs\npublisher_port: 1000\n",
      "bad/pubsub.config.yaml": "publisher_port: 70000\n",
      "unknown-driver.yaml": "pub_sub_driver: zmqq\n",
      "zmq.yaml": "pub_sub_driver: zmq_pubsub_driver\npub_sub_multiproc_driver: zmq_pubsub_multiproc_driver\n",
      "zmq-udp.yaml": "publisher_transport: udp\n",
    });
  });
  after(() => project.cleanup());

  const check = (args, env) => runCli(["check", ...args], { cwd: project.dir, env });

  it("prints the effective config and the resolved drivers as JSON, exit 0", async () => {
    const { code, stdout, stderr } = await check([]);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.configFile, `${project.dir}/pubsub.config.yaml`);
    assert.equal(report.config.publisher_port, 1000);
    assert.deepEqual(report.config.publishers, ["memory://bus"], "the network driver's own default listen address");
    assert.equal(report.drivers.network.option, "pub_sub_driver");
    assert.equal(report.drivers.network.topology, "broker");
    assert.equal(report.drivers.network.address, "memory");
    assert.equal(report.drivers.network.name, "mem");
    assert.equal(report.drivers.network.source, "alias");
    assert.equal(report.drivers.network.module, `file://${project.dir}/drivers/memory.mjs`);
    assert.equal(report.drivers.multiproc.source, "path");
    assert.equal(report.notes.length, 1);
    assert.match(
      report.notes[0],
      /^pub_sub_driver mem is a broker driver: it binds nothing .* pub_sub_use_multiproc is true, so workers publish into the publisher service/,
    );
  });

  it("says the multiproc options are ignored when pub_sub_use_multiproc is false", async () => {
    const { code, stdout } = await check(["--set", "pub_sub_use_multiproc=false"]);
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.drivers.multiproc, undefined);
    assert.match(report.notes[0], /pub_sub_use_multiproc is false: .*pub_sub_multiproc_driver and publisher_multiproc_socket are ignored/);
  });

  it("applies --set over PUBSUB_ env vars over the file", async () => {
    const fromEnv = JSON.parse((await check([], { PUBSUB_PUBLISHER_PORT: "2000" })).stdout);
    assert.equal(fromEnv.config.publisher_port, 2000);
    const fromSet = JSON.parse((await check(["--set", "publisher_port=3000"], { PUBSUB_PUBLISHER_PORT: "2000" })).stdout);
    assert.equal(fromSet.config.publisher_port, 3000);
  });

  it("bad config: one line on stderr naming file, option and value; exit 2; no stack", async () => {
    const { code, stdout, stderr } = await check(["--config", "bad/pubsub.config.yaml"]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(stderr, "pubsub-run: bad/pubsub.config.yaml: publisher_port: must be <= 65535 (got 70000)\n");
  });

  it("--debug adds the stack trace", async () => {
    const { code, stderr } = await check(["--config", "bad/pubsub.config.yaml", "--debug"]);
    assert.equal(code, 2);
    assert.match(stderr, /^pubsub-run: bad\/pubsub.config.yaml: publisher_port/);
    assert.match(stderr, /\n\s+at /);
  });

  it("unknown driver: one line listing the known ones, exit 2", async () => {
    const { code, stderr } = await check(["--config", "unknown-driver.yaml"]);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      "pubsub-run: unknown-driver.yaml: pub_sub_driver: unknown driver 'zmqq'; known: zmq_pubsub_driver, zmq_pubsub_multiproc_driver, redis_pubsub_driver, nats_pubsub_driver, etcd_pubsub_driver, redis_db_pubsub_driver; " +
        `no package 'zmqq' is installed either (searched from ${project.dir}): install it with: npm install zmqq, or give a module path\n`,
    );
  });

  it("creates the drivers: a transport the ZeroMQ driver refuses exits 2, naming where it was set", async () => {
    const { code, stdout, stderr } = await check(["--config", "zmq.yaml", "--set", "publisher_transport=udp"]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(
      stderr,
      /^pubsub-run: --set publisher_transport: publisher_transport: unsupported transport 'udp' for the ZeroMQ driver; supported here: tcp, ipc[^\n]*\n$/,
    );
    const fromFile = await check(["--config", "zmq-udp.yaml"]);
    assert.equal(fromFile.code, 2);
    assert.match(fromFile.stderr, /^pubsub-run: zmq-udp\.yaml: publisher_transport: unsupported transport 'udp'/);
  });

  it("creates the drivers: an ipc bind address that is not an absolute path exits 2", async () => {
    const { code, stdout, stderr } = await check([
      "--config",
      "zmq.yaml",
      "--set",
      "publisher_transport=ipc",
      "--set",
      "publisher_bind_address=foo",
    ]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      'pubsub-run: --set publisher_bind_address: publisher_bind_address: the ipc transport needs an absolute socket path (got "foo"); ' +
        "e.g. --set publisher_bind_address=/run/pubsub/network.sock\n",
    );
  });

  it("creates the drivers without binding: a valid ZeroMQ config passes while its port is in use", async () => {
    const holder = createServer();
    await new Promise((resolve) => holder.listen(0, "0.0.0.0", resolve));
    try {
      const { port } = holder.address();
      const { code, stdout, stderr } = await check(["--config", "zmq.yaml", "--set", `publisher_port=${port}`]);
      assert.equal(stderr, "");
      assert.equal(code, 0);
      const report = JSON.parse(stdout);
      assert.equal(report.drivers.network.name, "zmq_pubsub_driver");
      assert.equal(report.drivers.multiproc.name, "zmq_pubsub_multiproc_driver");
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("missing --config file: exit 2", async () => {
    const { code, stderr } = await check(["--config", "nope.yaml"]);
    assert.equal(code, 2);
    assert.equal(stderr, "pubsub-run: nope.yaml: no such config file; check the --config path (or the configPath option)\n");
  });

  it("malformed --set and unknown flags: exit 2 with a pointer to --help", async () => {
    const set = await check(["--set", "publisher_port"]);
    assert.equal(set.code, 2);
    assert.equal(set.stderr, 'pubsub-run: --set "publisher_port": expected key=value, e.g. --set publisher_port=8866\n');
    const flag = await check(["--bogus"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^pubsub-run check: Unknown option '--bogus'.*; see pubsub-run check --help\n$/);
  });

  it("a config with several problems: one line each on stderr, exit 2", async () => {
    await writeFile(
      join(project.dir, "many.yaml"),
      "publisher_port: 70000\npub_sub_use_multiproc: true\nzmq:\n  linger_ms: -5\n  linger_mss: 1\nnb_db_timeout_ms: true\n",
    );
    const { code, stdout, stderr } = await check(["--config", "many.yaml"]);
    assert.equal(stdout, "");
    assert.deepEqual(stderr.split("\n").sort(), [
      "",
      "pubsub-run: many.yaml: nb_db_timeout_ms: must be an integer, not a boolean (got true)",
      "pubsub-run: many.yaml: publisher_port: must be <= 65535 (got 70000)",
      "pubsub-run: many.yaml: zmq.linger_ms: must be >= -1 (got -5)",
      "pubsub-run: many.yaml: zmq.linger_mss: unknown option; did you mean linger_ms?",
    ]);
    assert.equal(code, 2);
  });

  it("--origins says where each value came from: file:line, PUBSUB_X, --set x, default", async () => {
    await writeFile(
      join(project.dir, "origins.yaml"),
      "# comment\npublisher_port: 9100\nzmq:\n  linger_ms: 5\ndrivers:\n  mem: ./drivers/memory.mjs\n",
    );
    await writeFile(join(project.dir, "origins.json"), '{\n  "topics": ["D"],\n  "zmq": {\n    "backlog": 64\n  }\n}\n');
    const env = { PUBSUB_REDIS__URL: "redis://10.0.0.9:6379", PUBSUB_MANAGEMENT_IP: "10.0.0.9" };
    const yaml = await check(["--config", "origins.yaml", "--origins", "--set", "topics=D,x"], env);
    assert.equal(yaml.code, 0, yaml.stderr);
    const { origins, config } = JSON.parse(yaml.stdout);
    assert.equal(origins.publisher_port, "origins.yaml:2");
    assert.equal(origins["zmq.linger_ms"], "origins.yaml:4");
    assert.equal(origins.drivers, "origins.yaml:5");
    assert.equal(origins["zmq.backlog"], "default", "a section the file sets leaves its other options defaults");
    assert.equal(origins.topics, "--set topics");
    assert.equal(origins.management_ip, "PUBSUB_MANAGEMENT_IP");
    assert.equal(origins["redis.url"], "PUBSUB_REDIS__URL");
    assert.equal(config.redis.url, "redis://10.0.0.9:6379", "PUBSUB_REDIS__URL sets redis.url");
    assert.equal(origins.publisher_transport, "default");
    const json = JSON.parse((await check(["--config", "origins.json", "--origins"])).stdout).origins;
    assert.equal(json.topics, "origins.json:2");
    assert.equal(json["zmq.backlog"], "origins.json:4");
  });

  it("--origins names the line in INI files and in package.json's pubsub key", async () => {
    await writeFile(
      join(project.dir, "origins.ini"),
      "; comment\npublisher_port = 9100\n[df]\nmanagement_ip = 10.0.0.7\n[zmq]\nlinger_ms = 7\n",
    );
    const ini = JSON.parse((await check(["--config", "origins.ini", "--origins"])).stdout).origins;
    assert.equal(ini.publisher_port, "origins.ini:2");
    assert.equal(ini.management_ip, "origins.ini:4");
    assert.equal(ini["zmq.linger_ms"], "origins.ini:6");
    const pkg = await makeProject();
    try {
      await writeFile(join(pkg.dir, "package.json"), '{\n  "name": "app",\n  "pubsub": {\n    "publisher_port": 9200\n  }\n}\n');
      const { stdout } = await runCli(["check", "--origins"], { cwd: pkg.dir });
      assert.equal(JSON.parse(stdout).origins.publisher_port, "package.json:4");
    } finally {
      await pkg.cleanup();
    }
  });

  it("warns of a PUBSUB_ variable a typo away from an option, and leaves other tools' alone", async () => {
    const { code, stdout } = await check([], { PUBSUB_PUBLISHER_PROT: "9000", PUBSUB_EMULATOR_HOST: "localhost:8085" });
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.deepEqual(report.warnings, ["PUBSUB_PUBLISHER_PROT: names no option and is ignored; did you mean PUBSUB_PUBLISHER_PORT?"]);
    assert.equal(report.config.publisher_port, 1000);
  });

  it("check --help prints its usage, exit 0", async () => {
    const { code, stdout } = await check(["--help"]);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: pubsub-run check \[--config FILE\] \[--set key=value\]/);
  });
});

describe("pubsub-run", () => {
  it("--help lists the commands, exit 0", async () => {
    const { code, stdout } = await runCli(["--help"]);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: pubsub-run <command> \[options\]/);
    assert.match(stdout, /\n {2}check /);
  });

  it("no command prints the usage on stderr (a usage error), exit 2", async () => {
    const { code, stdout, stderr } = await runCli([]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(stderr, /^Usage: pubsub-run <command> \[options\]/);
  });

  it("unknown command: exit 2", async () => {
    const { code, stderr } = await runCli(["chek"]);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      "pubsub-run: unknown command 'chek'; did you mean check? commands: service, subscribe, publish, demo, check, keygen (see pubsub-run --help)\n",
    );
  });

  it("--version prints the package version", async () => {
    const { createRequire } = await import("node:module");
    const { version } = createRequire(import.meta.url)("../../package.json");
    const { code, stdout } = await runCli(["--version"]);
    assert.equal(code, 0);
    assert.equal(stdout, `${version}\n`);
  });
});
