// examples/deploy/: the systemd unit of the publisher service passes systemd-analyze
// verify and sets only real options; compose.yaml starts Redis, NATS and etcd.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import yaml from "js-yaml";
import { optionNames } from "../../dist/index.js";
import { CLI, runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";

const run = promisify(execFile);
const DEPLOY = fileURLToPath(new URL("../../examples/deploy/", import.meta.url));
const UNIT = join(DEPLOY, "pubsub-service.service");

const projects = [];
after(() => Promise.all(projects.map((project) => project.cleanup())));

/** True when `command` can be run (it exits, whatever its code). */
async function installed(command, args) {
  try {
    await run(command, args);
    return true;
  } catch (err) {
    return err.code !== "ENOENT" && typeof err.code === "number";
  }
}

/** The unit's `Key=value` lines of a section, in order (comments and blank lines left out). */
function directives(unit, section) {
  const body = unit.split(/^\[/m).find((part) => part.startsWith(`${section}]`)) ?? "";
  return body
    .split("\n")
    .slice(1)
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]);
}

const hasSystemdAnalyze = await installed("systemd-analyze", ["--version"]);
// `docker compose` is a plugin: without it `docker compose version` fails.
const hasCompose = await run("docker", ["compose", "version"]).then(
  () => true,
  () => false,
);

describe("examples/deploy/pubsub-service.service", () => {
  it(
    "passes systemd-analyze verify with no warning",
    { skip: hasSystemdAnalyze ? false : "systemd-analyze is not installed" },
    async () => {
      // The unit names /usr/bin/pubsub-run; verify checks that the command exists, so it
      // is checked with this checkout's launcher in its place.
      const project = await makeProject();
      projects.push(project);
      const unit = (await readFile(UNIT, "utf8")).replace("/usr/bin/pubsub-run", `${process.execPath} ${CLI}`);
      const copy = join(project.dir, "pubsub-service.service");
      await writeFile(copy, unit);
      const { stdout, stderr } = await run("systemd-analyze", ["verify", "--man=no", copy]);
      assert.equal(stderr, "", "no warning (an unknown key, a missing command)");
      assert.equal(stdout, "");
    },
  );

  it("reloads with SIGHUP, restarts on failure but not on a bad config, and is hardened", async () => {
    const service = new Map(directives(await readFile(UNIT, "utf8"), "Service"));
    assert.match(service.get("ExecStart"), /^\/usr\/bin\/pubsub-run service --json /);
    assert.equal(service.get("ExecReload"), "/bin/kill -HUP $MAINPID");
    assert.equal(service.get("Restart"), "on-failure");
    assert.equal(service.get("RestartPreventExitStatus"), "2");
    assert.equal(service.get("RuntimeDirectory"), "pubsub");
    for (const [key, value] of [
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["PrivateTmp", "yes"],
    ]) {
      assert.equal(service.get(key), value, key);
    }
  });

  it("sets only options pubsub-run knows, with values it accepts", async () => {
    const environment = directives(await readFile(UNIT, "utf8"), "Service")
      .filter(([key]) => key === "Environment")
      .map(([, value]) => value.split("="))
      .filter(([name]) => name.startsWith("PUBSUB_"));
    const known = new Set(optionNames.map((name) => `PUBSUB_${name.toUpperCase()}`));
    for (const [name] of environment) assert.ok(known.has(name), `${name} sets no option`);
    const env = Object.fromEntries(environment);
    const project = await makeProject(); // no config file: the unit's environment alone
    projects.push(project);
    const { code, stdout, stderr } = await runCli(["check"], { env, cwd: project.dir });
    assert.equal(code, 0, stderr);
    const { config } = JSON.parse(stdout);
    assert.equal(config.publisher_multiproc_socket, "/run/pubsub/publisher.sock", "the socket is in RuntimeDirectory");
    assert.equal(config.metrics_listen, env.PUBSUB_METRICS_LISTEN);
  });
});

describe("examples/deploy/compose.yaml", () => {
  it("starts Redis, NATS and etcd, each on 127.0.0.1 only, at the drivers' default ports", async () => {
    const compose = yaml.load(await readFile(join(DEPLOY, "compose.yaml"), "utf8"));
    assert.deepEqual(Object.keys(compose.services).sort(), ["etcd", "nats", "redis"]);
    const ports = Object.values(compose.services).flatMap((service) => service.ports);
    for (const port of ports) assert.match(port, /^127\.0\.0\.1:/);
    for (const wanted of ["6379", "4222", "2379"])
      assert.ok(
        ports.some((port) => port.endsWith(`:${wanted}`)),
        wanted,
      );
  });

  it("is a valid compose file", { skip: hasCompose ? false : "docker compose is not installed" }, async () => {
    await run("docker", ["compose", "-f", join(DEPLOY, "compose.yaml"), "config", "--quiet"]);
  });
});
