// pubsub-run demo --discovery: the real CLI against a real etcd (services register, come
// and go, a discovering subscriber follows them, every event arrives once), with a
// private etcd of its own when none is configured, and its bad-input paths (exit 2).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import createEtcdDb from "../../dist/db/etcd.js";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";
import { brokerSkipReason, findBinary, startEtcd } from "../helpers/servers.mjs";
import { configFor, quietContext } from "../helpers/zmq.mjs";

// No config file and no PUBSUB_* variable of the machine: runCli passes PATH only.
const project = await makeProject();
after(() => project.cleanup());

/** Runs the demo in the empty project; `path` replaces PATH. */
function demo(args, path) {
  return runCli(["demo", "--discovery", ...args], { cwd: project.dir, ...(path === undefined ? {} : { env: { PATH: path } }) });
}

/** The narrative's lines in order, without the seconds in front. */
function narrative(stdout) {
  return stdout
    .split("\n")
    .map((line) => /^\s*\d+\.\ds {2}(.*)$/.exec(line)?.[1])
    .filter((line) => line !== undefined);
}

/** Asserts the steps happened and each service's events arrived exactly once; returns the narrative. */
function assertScene(stdout) {
  const lines = narrative(stdout);
  const at = (pattern) => {
    const index = lines.findIndex((line) => pattern.test(line));
    assert.ok(index >= 0, `a narrative line matching ${pattern}\n${stdout}`);
    return index;
  };
  const uri = {};
  for (const name of ["A", "B", "C"]) {
    const registered = lines[at(new RegExp(`^service ${name}: registered (tcp://127\\.0\\.0\\.1:\\d+) in the publisher table$`))];
    uri[name] = /(tcp:\S+)/.exec(registered)[1];
    at(new RegExp(`^subscriber: discovered ${name} \\(${uri[name]}\\) in the publisher table$`));
    at(new RegExp(`^subscriber: connected to ${name} \\(${uri[name]}\\)$`));
  }
  assert.equal(new Set(Object.values(uri)).size, 3, "each service on a port of its own");
  assert.ok(
    at(/^step 2: start service C/) > at(/^subscriber: receiving from A and B \(A \d+, B \d+\)$/),
    "A and B received from before C starts",
  );
  // B stopped: its row deleted, the subscriber drops it.
  const stopB = at(/^step 3: stop service B \(SIGTERM\)/);
  assert.ok(at(/^service B: exited with code 0 /) > stopB);
  assert.ok(at(new RegExp(`^subscriber: dropped B \\(${uri.B}\\)`)) > stopB);
  // A killed: its stale row removed by C, the subscriber drops it.
  const killA = at(/^step 4: kill service A \(SIGKILL\)/);
  assert.ok(at(/^service A: killed; its row stays in the table$/) > killA);
  assert.ok(at(new RegExp(`^service C: removed the stale row of A \\(${uri.A}\\)$`)) > killA);
  assert.ok(at(new RegExp(`^subscriber: dropped A \\(${uri.A}\\)`)) > killA);
  assert.ok(at(/^subscriber: still receiving from C \(.*C \d+\)$/) > at(/^step 5: /));
  for (const [name, end] of [
    ["A", "killed"],
    ["B", "stopped"],
    ["C", "stopped"],
  ]) {
    const line = new RegExp(
      `^service ${name} \\(${uri[name]}, ${end}\\): sent ([1-9]\\d*), received \\1, lost 0, duplicates 0, out of order 0$`,
      "m",
    );
    assert.match(stdout, line);
  }
  assert.match(stdout, /^all \d+ events sent by the 3 services arrived, each exactly once, in order per service$/m);
  assert.match(stdout, /^timings shortened for the demo: publisher_timeout 2 s/m);
  return uri;
}

describe("pubsub-run demo --discovery", () => {
  it(
    "with the configured etcd: services come and go, the subscriber follows, every event arrives once",
    { skip: brokerSkipReason("etcd") },
    async (t) => {
      const etcd = await startEtcd();
      t.after(() => etcd.close());
      const host = etcd.hosts[0];

      const { code, stdout, stderr } = await demo([
        "--rate",
        "100",
        "--set",
        "nb_db_class=etcd_nb_db_driver",
        "--set",
        `remote_db_hosts=${host}`,
      ]);
      assert.equal(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
      assert.match(stdout, new RegExp(`^database: etcd_nb_db_driver at ${host} \\(from --set nb_db_class\\)$`, "m"));
      assert.match(stdout, /^note: with these timings the demo's services delete rows/m, "a shared database is warned about");
      assertScene(stdout);

      // Nothing of the scene is left in the table: B and C deleted their rows, C removed A's.
      const db = createEtcdDb(await configFor({ remote_db_hosts: etcd.hosts }), quietContext("network"));
      await db.initialize();
      t.after(() => db.close());
      assert.deepEqual(await db.getAllKeys("publisher"), []);
    },
  );

  it("with no database configured, starts a private etcd and removes its data afterwards", { skip: brokerSkipReason("etcd") }, async () => {
    // PATH holds only etcd's folder (nothing else the demo needs is looked up there).
    const { code, stdout, stderr } = await demo(["--rate", "100"], dirname(findBinary("etcd")));
    assert.equal(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
    const [, host, dataDir] =
      /^database: a private etcd on (127\.0\.0\.1:\d+) \(.*etcd, data in (\S+), removed at the end\)$/m.exec(stdout) ?? [];
    assert.ok(host !== undefined, stdout);
    assertScene(stdout);
    assert.equal(existsSync(dataDir), false, `${dataDir} removed`);
    assert.doesNotMatch(stdout, /^note: /m, "no warning about a shared database");
  });

  it("a configured database not on this host: exit 2, one line naming remote_db_hosts and the fix; nothing is touched", async () => {
    const { code, stdout, stderr } = await demo(["--set", "nb_db_class=etcd_nb_db_driver", "--set", "remote_db_hosts=10.255.0.1:2379"]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.match(stderr, /^[^\n]+\n$/, "one line");
    assert.match(
      stderr,
      /^pubsub-run demo --discovery: --set remote_db_hosts: 10\.255\.0\.1:2379 is not on this host, and the scene's services delete the rows of every publisher not refreshed for 2 s; point remote_db_hosts at a scratch database on 127\.0\.0\.1, or leave nb_db_class unset for a private etcd$/m,
    );
  });

  it("no database and no etcd on PATH: exit 2, one line naming nb_db_class and the fix", async () => {
    const empty = await mkdtemp(join(tmpdir(), "pubsub-no-etcd-"));
    try {
      const { code, stdout, stderr } = await demo([], empty);
      assert.equal(code, 2, stderr);
      assert.equal(stdout, "");
      assert.match(stderr, /^[^\n]+\n$/, "one line");
      assert.match(
        stderr,
        /^pubsub-run demo --discovery: nb_db_class: no database is configured and no etcd is on PATH to start a private one; set nb_db_class and remote_db_hosts \(.*\), or install etcd \(Debian: apt-get install etcd-server\)$/m,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("remote_db_hosts without nb_db_class: exit 2 naming both", async () => {
    const { code, stdout, stderr } = await demo(["--set", "remote_db_hosts=127.0.0.1:2379"]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      "pubsub-run demo --discovery: --set remote_db_hosts: remote_db_hosts is set but nb_db_class is not; set nb_db_class too (etcd_nb_db_driver or redis_nb_db_driver)\n",
    );
  });

  it("--workers and --seconds are refused with --discovery", async () => {
    for (const flag of ["--workers", "--seconds"]) {
      const { code, stderr } = await demo([flag, "2"]);
      assert.equal(code, 2, stderr);
      assert.equal(stderr, `pubsub-run demo: ${flag}: not used with --discovery, whose scene has its own steps; leave it out\n`);
    }
  });
});
