// 11. faults: what each fault loses, and who is told. Real pubsub-run processes: two
// `publish --stdin` workers writing a steady stream, two subscribers, the publisher
// service (or a Redis / NATS server); one fault mid-stream. Per fault: events
// published, what publish reported as not sent or lost (and its exit codes), events
// delivered to each subscriber, duplicates, lost, syncs and the missed count the
// subscribers estimated, and lost without a word (target 0). No raw side: the raw
// transports promise nothing here. PUBSUB_BENCH_FAULTS picks faults by name.
import { setTimeout as sleep } from "node:timers/promises";
import { row } from "../lib/compare.mjs";
import { HEARTBEAT_TIMEOUT_MS, RATE, faultSkipReason, runFault } from "../lib/fault-run.mjs";

export const name = "faults";
export const title =
  "faults: service kill -9, SIGSTOP, SIGTERM; a subscriber stopped; Redis and NATS restarted; what is lost, and who is told";

/** How long a stopped process stays stopped: longer than the heartbeat timeout. */
const STOPPED_MS = 2 * HEARTBEAT_TIMEOUT_MS;

/**
 * A burst from every worker, SIGTERM to the service as it comes, a new service. It waits
 * for the subscribers to be back before it takes events (`--wait-subscribers`), unless
 * `wait` is 0.
 */
async function terminate(topology, workers, wait) {
  for (const worker of workers) worker.burst(1_000);
  topology.service.kill("SIGTERM");
  const { code } = await topology.service.exit();
  if (code !== 0) throw new Error(`faults: the service exited with code ${code} on SIGTERM`);
  await topology.startService(wait);
}

/** Each fault: `inject({ topology, subscribers, workers })` resolves once it is over. */
export const FAULTS = [
  {
    name: "service-kill",
    label: "service kill -9, restarted",
    async inject({ topology }) {
      topology.service.kill("SIGKILL");
      await topology.service.exit();
      await topology.startService();
    },
  },
  {
    name: "service-stop",
    label: `service SIGSTOP ${STOPPED_MS / 1000} s, SIGCONT`,
    async inject({ topology }) {
      topology.service.kill("SIGSTOP");
      await sleep(STOPPED_MS); // the fault is a stop of this length
      topology.service.kill("SIGCONT");
    },
  },
  {
    name: "service-term",
    label: "service SIGTERM mid-burst, a new one",
    inject: ({ topology, workers }) => terminate(topology, workers, undefined),
  },
  {
    name: "service-term-nowait",
    label: "service SIGTERM mid-burst, a new one taking events at once",
    inject: ({ topology, workers }) => terminate(topology, workers, 0),
  },
  {
    name: "subscriber-stop",
    label: `subscriber 2 SIGSTOP ${STOPPED_MS / 1000} s in a burst`,
    async inject({ subscribers, workers }) {
      const stopped = subscribers[1];
      stopped.run.kill("SIGSTOP");
      // A burst, then the stream goes on for as long as it is stopped.
      for (const worker of workers) worker.burst(1_000);
      await Promise.all(workers.map((worker) => worker.pace((RATE * STOPPED_MS) / 1000, RATE)));
      stopped.run.kill("SIGCONT");
    },
  },
  {
    name: "redis-restart",
    label: "redis-server restarted",
    broker: "redis",
    inject: ({ topology }) => topology.server.restart(),
  },
  {
    name: "nats-restart",
    label: "nats-server restarted",
    broker: "nats",
    inject: ({ topology }) => topology.server.restart(),
  },
];

/** The rows of one fault from what every process counted. */
function rows(label, { written, reports, subscribers }) {
  const published = written.reduce((sum, n) => sum + n, 0);
  const reported = reports.reduce((sum, report) => sum + report.reported, 0);
  const exits = reports.map((report) => report.code).join(", ");
  const sum = (pick) => subscribers.reduce((total, sub) => total + pick(sub), 0);
  const lost = (sub) => published - sub.delivered;
  // Per subscriber: what it lost that neither its missed count nor publish accounts for.
  const silent = (sub) => Math.max(0, lost(sub) - sub.stats.missed - reported);
  const events = (variant, value, extra) => row(name, `${label}: ${variant}`, "events", value, null, { higherIsBetter: false, ...extra });
  const zero = { target: { text: "= 0", test: ({ ours }) => ours === 0 } };
  return [
    events("published", published, { higherIsBetter: true }),
    events(`reported by publish, not sent or lost (exit codes ${exits})`, reported),
    ...subscribers.map((sub, i) => events(`delivered to subscriber ${i + 1}`, sub.delivered, { higherIsBetter: true })),
    events(
      "duplicates delivered, all subscribers",
      sum((sub) => sub.duplicates),
      zero,
    ),
    events("lost, all subscribers", sum(lost)),
    row(
      name,
      `${label}: syncs received, all subscribers`,
      "syncs",
      sum((sub) => sub.syncs),
      null,
    ),
    events(
      "missed as the subscribers counted",
      sum((sub) => sub.stats.missed),
    ),
    events("lost without a word", sum(silent), zero),
  ];
}

/** The faults PUBSUB_BENCH_FAULTS names (all when unset). */
const wanted = () => process.env.PUBSUB_BENCH_FAULTS?.split(",").map((fault) => fault.trim());

/** What is wrong with PUBSUB_BENCH_FAULTS, if anything: run.mjs checks before running any scenario. */
export function validate() {
  const unknown = wanted()?.find((fault) => !FAULTS.some((f) => f.name === fault));
  return unknown === undefined
    ? undefined
    : `PUBSUB_BENCH_FAULTS: unknown fault '${unknown}'; known: ${FAULTS.map((f) => f.name).join(", ")}`;
}

export async function run({ faultEvents, progress }) {
  const names = wanted();
  const results = [];
  for (const fault of FAULTS.filter((f) => names === undefined || names.includes(f.name))) {
    const skip = faultSkipReason(fault.broker);
    if (skip) {
      results.push(row(name, `skipped: ${skip} (${fault.label})`, "events", null, null));
      continue;
    }
    results.push(...rows(fault.label, await runFault({ ...fault, name: fault.label }, { events: faultEvents, progress })));
  }
  return results;
}
