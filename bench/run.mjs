#!/usr/bin/env node
// The benchmark harness: `npm run bench -- [options]`. Every scenario runs the raw
// transport beside our code in the same run, alternating, and reports medians and the
// ratio ours/raw. Not a test: nothing here passes or fails a build.
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { machine, markdownTable, textTable } from "./lib/report.mjs";
import * as batched from "./scenarios/batched.mjs";
import * as costs from "./scenarios/costs.mjs";
import * as direct from "./scenarios/direct.mjs";
import * as fanout from "./scenarios/fanout.mjs";
import * as faults from "./scenarios/faults.mjs";
import * as latency from "./scenarios/latency.mjs";
import * as loss from "./scenarios/loss.mjs";
import * as memory from "./scenarios/memory.mjs";
import * as nats from "./scenarios/nats.mjs";
import * as redis from "./scenarios/redis.mjs";
import * as relayed from "./scenarios/relayed.mjs";
import * as scale from "./scenarios/scale.mjs";
import * as subflood from "./scenarios/subflood.mjs";

const SCENARIOS = [direct, relayed, fanout, latency, loss, memory, batched, costs, redis, nats, scale, faults, subflood];

const USAGE = `usage: npm run bench -- [options]

  --scenario NAME[,NAME]  run only these (${SCENARIOS.map((s) => s.name).join(", ")})
  --count N               events per throughput run (default 200000)
  --size BYTES            size of each event's string value (default 64)
  --rounds N              rounds per scenario; medians are reported (default 5)
  --latency-seconds S     measured length of one latency run at 10,000 events/s
                          (default 10)
  --warmup-seconds S      paced events sent first in each latency run, reported
                          apart as "p99, warm-up" (default 1; 0 for none)
  --burst N               events in the loss scenario's burst (default 200000)
  --memory-events N       events in one memory run (default 1000000)
  --fault-events N        events each publisher sends in the faults scenario's steady
                          stream, one fault at a time (default 20000);
                          PUBSUB_BENCH_FAULTS=NAME[,NAME] runs only those faults
  --json FILE             also write the results as JSON
  --markdown FILE         also write the results as Markdown (docs/BENCHMARKS.md)
  --from FILE             run nothing: write --markdown from the results of an earlier
                          --json run (after editing bench/NOTES.md)
  --help                  this text

  PUBSUB_BENCH_FLOOD=N and PUBSUB_BENCH_FLOOD_BYTES=B: the subflood scenario's
  distinct subscriptions and their length (default 200000 of 36 bytes).
  PUBSUB_BENCH_SUBSCRIBERS=N runs the scale scenario at one size (default: 100, 1,000
  and 4,000 subscribers, about --count deliveries at each, measured after as many to
  warm up; 10 to 500 events each).`;

function fail(message) {
  process.stderr.write(`bench: ${message.split("\n")[0]} (npm run bench -- --help lists the options)\n`);
  process.exit(2);
}

function positive(option, text) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) fail(`--${option}: must be a positive number (got ${JSON.stringify(text)})`);
  return value;
}

function notNegative(option, text) {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0)
    fail(`--${option}: must be a number, 0 or more (got ${JSON.stringify(text)})`);
  return value;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      scenario: { type: "string" },
      count: { type: "string", default: "200000" },
      size: { type: "string", default: "64" },
      rounds: { type: "string", default: "5" },
      "latency-seconds": { type: "string", default: "10" },
      "warmup-seconds": { type: "string", default: "1" },
      burst: { type: "string", default: "200000" },
      "memory-events": { type: "string", default: "1000000" },
      "fault-events": { type: "string", default: "20000" },
      json: { type: "string" },
      markdown: { type: "string" },
      from: { type: "string" },
      help: { type: "boolean", default: false },
    },
  }).values;
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
if (parsed.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

if (parsed.from !== undefined) {
  if (parsed.markdown === undefined) fail("--from: give --markdown FILE to write");
  const { readFile } = await import("node:fs/promises");
  const earlier = JSON.parse(await readFile(parsed.from, "utf8"));
  const { renderBenchmarks } = await import("./lib/markdown.mjs");
  await writeFile(parsed.markdown, await renderBenchmarks(earlier, markdownTable(earlier.results)));
  process.exit(0);
}

const wanted = parsed.scenario?.split(",").map((name) => name.trim()) ?? SCENARIOS.map((scenario) => scenario.name);
for (const name of wanted) {
  if (!SCENARIOS.some((scenario) => scenario.name === name))
    fail(`--scenario: unknown scenario '${name}'; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
}
for (const scenario of SCENARIOS.filter((s) => wanted.includes(s.name))) {
  const problem = scenario.validate?.();
  if (problem !== undefined) fail(problem);
}
const options = {
  count: Math.round(positive("count", parsed.count)),
  size: Math.round(positive("size", parsed.size)),
  rounds: Math.round(positive("rounds", parsed.rounds)),
  latencySeconds: positive("latency-seconds", parsed["latency-seconds"]),
  warmupSeconds: notNegative("warmup-seconds", parsed["warmup-seconds"]),
  burst: Math.round(positive("burst", parsed.burst)),
  memoryEvents: Math.round(positive("memory-events", parsed["memory-events"])),
  faultEvents: Math.round(positive("fault-events", parsed["fault-events"])),
};

const tty = process.stderr.isTTY;
function progress(text) {
  if (tty) process.stderr.write(`\r\x1b[K${text}`);
}

const started = new Date();
const results = [];
for (const scenario of SCENARIOS.filter((s) => wanted.includes(s.name))) {
  if (!tty) process.stderr.write(`bench: ${scenario.title}\n`);
  const rows = await scenario.run({ ...options, progress: (text) => progress(`${scenario.name}: ${text}`) });
  results.push(...rows);
  if (tty) process.stderr.write("\r\x1b[K");
}

const about = machine();
process.stdout.write(`${textTable(results)}\n\n`);
process.stdout.write(
  `${about.cpu}, ${about.cores} cores, ${about.memoryGiB} GiB, ${about.os}, Node ${about.node}, libzmq ${about.libzmq}\n`,
);
process.stdout.write(`count ${options.count}, value ${options.size} bytes, ${options.rounds} rounds, medians\n`);

const report = { started: started.toISOString(), machine: about, options, results };
if (parsed.json !== undefined) await writeFile(parsed.json, `${JSON.stringify(report, null, 2)}\n`);
if (parsed.markdown !== undefined) {
  const { renderBenchmarks } = await import("./lib/markdown.mjs");
  await writeFile(parsed.markdown, await renderBenchmarks(report, markdownTable(results)));
}
