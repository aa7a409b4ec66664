// The processes of a faults run and what each one counts: `pubsub-run subscribe`
// (events delivered, duplicates, syncs, and its own counters when it stops) and
// `pubsub-run publish --stdin` workers (lines written, exit code, what it reported).
import { setTimeout as sleep } from "node:timers/promises";
import { PubsubRun } from "./pubsub-run.mjs";

/** Table of the counted events; probes and end markers use others. */
export const FAULT_TABLE = "f";
export const PROBE_MARK = "probe";
export const END_MARK = "end";

/** A `pubsub-run subscribe` process and its tally of the events it printed. */
export class Subscriber {
  seen = new Set();
  duplicates = 0;
  syncs = 0;
  /** Tables of the markers received. */
  marks = new Set();
  connections = 0;
  /** Per worker, the highest event index delivered. */
  highest = [];
  /** Its own counters from its last stderr line (delivered, syncs, gaps, missed, duplicates...). */
  stats;

  constructor(args) {
    this.run = new PubsubRun(["subscribe", ...args], { onLine: (stream, line) => this.#take(stream, line) });
  }

  get delivered() {
    return this.seen.size;
  }

  #take(stream, line) {
    if (stream === "stderr") {
      if (/: connected to /.test(line)) this.connections += 1;
      const stopped = /^pubsub-run subscribe: stopped; (.*)$/.exec(line);
      if (stopped)
        this.stats = Object.fromEntries(
          stopped[1]
            .split(", ")
            .map((pair) => pair.split(" "))
            .map(([k, v]) => [k, Number(v)]),
        );
      return;
    }
    const event = JSON.parse(line);
    if (event.action === "sync") this.syncs += 1;
    else if (event.table === FAULT_TABLE) {
      if (this.seen.has(event.key)) this.duplicates += 1;
      else this.seen.add(event.key);
      const [worker, index] = event.key.split(":").map(Number);
      this.highest[worker] = Math.max(this.highest[worker] ?? -1, index);
    } else this.marks.add(event.table);
  }

  /** Waits until `condition(this)` holds. */
  until(condition, what, timeoutMs) {
    return this.run.waitUntil(() => condition(this), what, timeoutMs);
  }

  /** SIGTERM, then its counters. */
  async stop() {
    this.run.kill("SIGTERM");
    const { code, signal } = await this.run.exit();
    if (code !== 0)
      throw new Error(`pubsub-run subscribe exited with ${signal ?? `code ${code}`}: ${this.run.stderr.slice(-3).join(" | ")}`);
    return this.stats;
  }
}

/** A `pubsub-run publish --stdin` worker fed event lines: paced, in a burst, or one by one. */
export class Worker {
  written = 0;

  constructor(index, args) {
    this.index = index;
    this.run = new PubsubRun(["publish", "--stdin", ...args]);
  }

  /** Writes the next `count` event lines at once. */
  burst(count) {
    let text = "";
    for (let i = 0; i < count; i += 1) {
      const index = this.written + i;
      text += `${JSON.stringify({ table: FAULT_TABLE, key: `${this.index}:${index}`, action: "set", value: index })}\n`;
    }
    this.written += count;
    this.run.write(text);
  }

  /** Writes `count` lines at `rate` per second, a timer tick's worth at a time (the steady stream). */
  async pace(count, rate) {
    const started = Date.now();
    for (let paced = 0; paced < count;) {
      const due = Math.min(count, Math.ceil(((Date.now() - started) / 1000) * rate));
      if (due > paced) this.burst(due - paced);
      paced = Math.max(paced, due);
      await sleep(10);
    }
  }

  /** Closes stdin, waits for the exit and reads what publish said it did not send. */
  async finish(timeoutMs) {
    this.run.end();
    const { code, signal } = await this.run.exit(timeoutMs);
    return { code: code ?? signal, ...publishReport(this.run.stderr, this.written) };
  }
}

/**
 * What `pubsub-run publish` said of `written` lines: how many it read, and of those how
 * many it did not send or sent and then lost (its one line on stderr; none when all
 * were sent). Lines it never read were never accepted either: they count as reported,
 * as the exit code says they were not sent.
 */
export function publishReport(stderr, written) {
  const text = stderr.filter((line) => line.startsWith("pubsub-run publish:")).join("\n");
  const notSent = /(\d+) of (\d+) events read from stdin not sent/.exec(text);
  const all = /all (\d+) events read from stdin were sent/.exec(text);
  const lost = /(\d+) (?:of (\d+) events read from stdin|more) were taken by the transport and then lost/.exec(text);
  const read = Number(notSent?.[2] ?? lost?.[2] ?? all?.[1] ?? written);
  const refused = Number(notSent?.[1] ?? 0);
  const lostAfter = Number(lost?.[1] ?? 0);
  return { read, refused, lostAfter, reported: written - read + refused + lostAfter, line: text };
}
