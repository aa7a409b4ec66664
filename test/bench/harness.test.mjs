// The benchmark harness runs end to end: a tiny run of every scenario produces a row for
// each, with figures, the loss scenario shows ours losing nothing, scale at 100
// subscribers loses nothing (ours, raw and through the service), and the faults
// scenario loses nothing without a word. Not a speed test:
// no figure here is compared with a threshold of time.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const BENCH = fileURLToPath(new URL("../../bench/run.mjs", import.meta.url));
const dir = await mkdtemp(join(tmpdir(), "pubsub-bench-test-"));
after(() => rm(dir, { recursive: true, force: true }));

describe("benchmark harness", () => {
  it("runs every scenario and reports medians beside the raw transport", async () => {
    const json = join(dir, "results.json");
    const markdown = join(dir, "BENCHMARKS.md");
    const args = [
      "--count",
      "2000",
      "--rounds",
      "1",
      "--latency-seconds",
      "0.2",
      "--warmup-seconds",
      "0.1",
      "--burst",
      "5000",
      "--memory-events",
      "5000",
      "--fault-events",
      "400",
      "--json",
      json,
      "--markdown",
      markdown,
    ];
    // The scale scenario at CI size: 100 subscribers; two of the faults; a flood of 20,000 subscriptions (720 KB of topics, past the 256 KiB default).
    const env = {
      ...process.env,
      PUBSUB_BENCH_SUBSCRIBERS: "100",
      PUBSUB_BENCH_FAULTS: "service-kill,subscriber-stop",
      PUBSUB_BENCH_FLOOD: "20000",
    };
    const { stdout } = await run(process.execPath, [BENCH, ...args], { timeout: 240_000, env });
    const report = JSON.parse(await readFile(json, "utf8"));
    const scenarios = new Set(report.results.map((row) => row.scenario));
    assert.deepEqual([...scenarios].sort(), [
      "batched",
      "costs",
      "direct",
      "fanout",
      "faults",
      "latency",
      "loss",
      "memory",
      "nats",
      "redis",
      "relayed",
      "scale",
      "subflood",
    ]);
    for (const row of report.results) {
      if (row.variant.includes("skipped: ")) continue; // a broker server or libzmq3-dev that is not installed
      assert.ok(Number.isFinite(row.ours), `${row.scenario} ${row.variant}: no figure for ours`);
      if (row.raw !== null && row.raw !== 0) assert.ok(Number.isFinite(row.ratio), `${row.scenario} ${row.variant}: no ratio`);
    }
    for (const row of report.results.filter((r) => r.scenario === "scale" && /events lost/.test(r.variant))) {
      assert.equal(row.ours, 0, `scale: ${row.variant}`);
    }
    // libzmq's C loop beside direct, or the reason it was skipped (no compiler, no libzmq3-dev).
    const limit = report.results.filter((row) => row.scenario === "direct" && /libzmq's C loop/.test(row.variant));
    assert.ok(limit.length > 0, "direct: no row for libzmq's C loop");
    for (const row of limit) assert.ok(row.variant.includes("skipped: ") || row.raw > 0, `direct: ${row.variant}: no figure`);
    // scale at 100: ours beside raw zeromq.js, the publisher's RSS per subscriber, the service run.
    const scale = (what) => report.results.find((row) => row.scenario === "scale" && row.variant.includes(what));
    assert.ok(scale("deliveries, ").raw > 0, "scale: no raw zeromq.js side");
    assert.ok(Number.isFinite(scale("RSS per subscriber").raw), "scale: no raw RSS per subscriber");
    assert.ok(scale("deliveries through pubsub-run service").ours > 0, "scale: nothing through the service");
    // relayed beside our own direct loop, in the same rounds: the hop's price.
    const hop = report.results.find((row) => row.scenario === "relayed" && row.variant === "events/s, vs ours direct");
    assert.ok(hop?.ours > 0 && hop.raw > 0, "relayed: no figure beside ours direct");
    const costs = report.results.filter((row) => row.scenario === "costs").map((row) => row.variant.split(":")[0]);
    assert.deepEqual(new Set(costs), new Set(["sequence numbers", "zmq.curve on, vs off", "metrics"]));
    const faults = report.results.filter((row) => row.scenario === "faults");
    for (const fault of ["service kill -9, restarted", "subscriber 2 SIGSTOP"]) {
      const rows = faults.filter((row) => row.variant.startsWith(fault));
      assert.ok(
        rows.some((row) => /: published$/.test(row.variant) && row.ours > 0),
        `faults: ${fault}: nothing published`,
      );
      const silent = rows.find((row) => /: lost without a word$/.test(row.variant));
      assert.equal(silent?.ours, 0, `faults: ${fault}: events lost without a word`);
    }
    // The stopped subscriber is dropped by the service's heartbeats: it loses events, and counts them.
    const stopped = (what) => faults.find((row) => row.variant.startsWith("subscriber 2 SIGSTOP") && row.variant.endsWith(what)).ours;
    assert.ok(stopped("lost, all subscribers") > 0, "faults: the stopped subscriber lost nothing: the fault proves nothing");
    assert.equal(stopped("missed as the subscribers counted"), stopped("lost, all subscribers"));
    // subflood: the flood passed zmq.max_subscription_bytes, and the publisher said so.
    const flood = report.results.find((row) => row.scenario === "subflood");
    assert.equal(flood.note, "logged", "subflood: the reset was not logged");
    const lost = report.results.find((row) => row.scenario === "loss" && row.variant === "events lost");
    assert.equal(lost.ours, 0, "ours lost events in the burst");
    assert.equal(report.machine.cores > 0, true);
    assert.match(stdout, /^scenario\s+variant\s+ours \(median\)/m);
    assert.match(await readFile(markdown, "utf8"), /^\| direct \| events\/s \|/m);
    // --from writes the same Markdown from the JSON, running nothing.
    const again = join(dir, "AGAIN.md");
    await run(process.execPath, [BENCH, "--from", json, "--markdown", again]);
    assert.equal(await readFile(again, "utf8"), await readFile(markdown, "utf8"));
  });

  it("refuses a bad option with exit code 2 and says which", async () => {
    await assert.rejects(run(process.execPath, [BENCH, "--scenario", "nope"]), (err) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /^bench: --scenario: unknown scenario 'nope'; known: direct, relayed/m);
      return true;
    });
    await assert.rejects(
      run(process.execPath, [BENCH, "--scenario", "faults"], { env: { ...process.env, PUBSUB_BENCH_FAULTS: "service-kill,nope" } }),
      (err) => err.code === 2 && /^bench: PUBSUB_BENCH_FAULTS: unknown fault 'nope'; known: service-kill, /m.test(err.stderr),
    );
    await assert.rejects(
      run(process.execPath, [BENCH, "--count", "lots"]),
      (err) => err.code === 2 && /--count: must be a positive number/.test(err.stderr),
    );
  });
});
