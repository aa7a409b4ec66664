import { setImmediate as nextTurn } from "node:timers/promises";
import { type DriverDescription, isLossCounting, isSubscriptionAware, type PublisherApi, type PubSubEvent } from "../contract.js";
import { SendError, StateError, UsageError } from "../errors.js";
import { loadFromConfig } from "../loader/load.js";
import { parseCommandArgs } from "./args.js";
import { eventFromFlags, lineEvents, type ReadEvent } from "./publish-input.js";
import { holdUntilOpen, SendTally, subscribersWithin, type Held } from "./publish-send.js";
import { untilSignal } from "./signals.js";

export const PUBLISH_HELP = `Usage: pubsub-run publish --table T --key K --action A [--value JSON] [--topic T]
       pubsub-run publish --stdin
                         [--wait-subscribers N] [--wait-ms MS]
                         [--config FILE] [--set key=value]... [--debug]

Publishes events: through the publisher service when pub_sub_use_multiproc is true
(start it with 'pubsub-run service'), else straight to the network with pub_sub_driver.
Exits once every event read was taken by the transport (through the service: queued
on a connection to it) or given up on: an event the transport has not taken when the
linger time (e.g. zmq.linger_ms) runs out is not sent. At most 1024 events wait to be
taken, and through the service at most 1024 more wait in ZeroMQ's queue for it
(zmq.multiproc_send_high_water_mark, 1024 by default): when events wait and none
is taken for the linger time (no service, a stopped one, no broker), publish stops
reading stdin, waits the linger time once more, and reports.

Straight to the network (pub_sub_use_multiproc false), this process binds the
publisher itself, and PUB/SUB delivers only to subscribers connected at the time: so
it first waits until --wait-subscribers of this project's subscribers are connected,
at most --wait-ms. If they do not come, it sends nothing and exits 1.

Options:
      --table T         table of the event
      --key K           key of the event
      --action A        action: create, set, delete, ...
      --value JSON      value of the event, as JSON (default: null)
      --topic T         topic (default: D, the send-to-all topic)
      --stdin           read one JSON event per line from stdin:
                        {"table":...,"key":...,"action":...,"value":...,"topic":...};
                        a bad line is reported with its line number and skipped, the
                        rest still go out, and the exit code is 1
      --wait-subscribers N
                        straight to the network only: subscribers to wait for before
                        sending (default 1; 0 sends at once, to whoever is there)
      --wait-ms MS      straight to the network only: the longest wait for them, in
                        milliseconds (default 5000; 0 sends at once)
  -c, --config FILE     config file to use
      --set key=value   override an option (repeatable)
      --log-level LEVEL trace, debug, info (default), warn, error, fatal or silent
                        (log_level)
      --debug           print stack traces on errors; implies --log-level debug
  -h, --help            show this help

SIGINT/SIGTERM: stops reading stdin, gives the events read the linger time to be
taken, then exits as below; with --stdin it says how far it read. A second signal
exits at once (code 1), saying how many events were lost.

Exit codes:
  0  every event read was sent (after a signal too)
  1  some event read was not sent, said in one line:
       pubsub-run publish: N of M events read from stdin not sent, from line L on: WHY
     ending "; stopped reading stdin after line K, as none was taken for T ms (OPTION)"
     or "; stopped reading stdin after line K on SIGTERM" when it stopped early; also
     when it stopped reading on a stall, or a stdin line was bad
  2  bad usage or config
`;

const PUBLISH_OPTIONS = {
  table: { type: "string" },
  key: { type: "string" },
  action: { type: "string" },
  value: { type: "string" },
  topic: { type: "string" },
  stdin: { type: "boolean" },
  "wait-subscribers": { type: "string" },
  "wait-ms": { type: "string" },
} as const;

/** How long a direct publisher waits for its subscribers by default, in ms. */
const DEFAULT_WAIT_MS = 5_000;

/** `pubsub-run publish`: send one event from flags, or JSON lines from stdin. */
export async function runPublish(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs("publish", args, PUBLISH_OPTIONS);
  if (values.help === true) {
    process.stdout.write(PUBLISH_HELP);
    return 0;
  }
  const single = values.stdin === true ? undefined : eventFromFlags(values);
  const waitSubscribers = values["wait-subscribers"] === undefined ? undefined : whole("--wait-subscribers", values["wait-subscribers"]);
  const waitMs = values["wait-ms"] === undefined ? undefined : whole("--wait-ms", values["wait-ms"]);
  let tally: SendTally | undefined;
  let cancelWait: (() => void) | undefined;
  // SIGINT/SIGTERM: stop reading stdin; what was read still gets the linger time, then
  // the counts are reported. The event from flags was read already: it gets it too.
  const signals = untilSignal(
    (signal) => {
      cancelWait?.();
      if (single === undefined) {
        tally?.stop(signal);
        process.stdin.destroy();
      }
      return Promise.resolve();
    },
    {
      debug: values.debug,
      onSecondSignal: (signal) => lastWord(tally, signal, single === undefined),
    },
  );
  try {
    const pubsub = await loadFromConfig({ configPath: values.config, overrides: values.set ?? [], subscriber: false });
    const publisher = pubsub.publisher as PublisherApi;
    const { config } = pubsub;
    let bad = 0;
    const source = single === undefined ? stdinEvents(() => (bad += 1)) : oneEvent(single);
    // The publisher's driver: the multiproc one through the service, else the network one.
    const driver = config.pub_sub_use_multiproc ? pubsub.drivers.multiproc : pubsub.drivers.network;
    if (driver === undefined) throw new StateError("loadFromConfig() described no driver for the publisher");
    const { linger } = driver;
    tally = new SendTally(publisher, linger.ms);
    if (single === undefined && signals.received !== undefined) tally.stop(signals.received);
    try {
      if (config.pub_sub_use_multiproc && (waitSubscribers !== undefined || waitMs !== undefined)) {
        throw new UsageError(
          "pubsub-run publish: --wait-subscribers and --wait-ms apply when pub_sub_use_multiproc is false (publishing straight to the network); through the publisher service, run 'pubsub-run service --wait-subscribers N' instead",
        );
      }
      const held = config.pub_sub_use_multiproc
        ? undefined
        : await waitForSubscribers(publisher, driver, config.pub_sub_driver, source, {
            count: waitSubscribers ?? 1,
            ms: waitMs ?? DEFAULT_WAIT_MS,
            onCancel: (cancel) => (cancelWait = cancel),
            signalled: () => signals.received,
          });
      await tally.sendAll(source, held);
      if (single === undefined && tally.stoppedBy === "stalled")
        process.stdin.destroy(); // nothing takes events: stop reading
      else if (single === undefined && tally.stoppedBy === undefined && config.pub_sub_use_multiproc) await reportWaiting(tally, driver);
    } finally {
      await pubsub.close();
    }
    await tally.settled();
    return verdict(tally, single === undefined, linger, bad, isLossCounting(publisher) ? publisher.lost : 0);
  } finally {
    signals.dispose();
  }
}

/**
 * The exit code, once every event read was taken or refused; a line on stderr when
 * reading stopped early. Some event not sent: a {@link SendError} whose one line says
 * how many of how many, from which stdin line, why, and why reading stopped.
 */
function verdict(tally: SendTally, fromStdin: boolean, linger: DriverDescription["linger"], bad: number, lost: number): number {
  const stopped = tally.stoppedBy;
  const howFar = tally.lastLine === undefined ? "before the first event" : `after line ${tally.lastLine}`;
  const why = stopped === "stalled" ? `, as none was taken for ${linger.ms} ms (${linger.option})` : ` on ${stopped}`;
  const stopClause = fromStdin && stopped !== undefined ? `; stopped reading stdin ${howFar}${why}` : "";
  const read = fromStdin ? "events read from stdin" : "events";
  const lostClause =
    lost === 0 ? "" : `${lost} of ${tally.handed} ${read} were taken by the transport and then lost (the server never confirmed them)`;
  if (tally.refused === 0 && lost > 0) throw new SendError(`pubsub-run publish: ${lostClause}${stopClause}`);
  if (tally.refused === 0) {
    const all = `pubsub-run publish: all ${tally.handed} events read from stdin were sent${stopClause}`;
    // Stalled: the transport took everything in the end, but the rest of stdin was never read.
    if (stopped === "stalled") throw new SendError(`${all}; the rest of stdin was not read`);
    if (stopClause !== "") process.stderr.write(`${all}\n`);
    return bad > 0 ? 1 : 0;
  }
  const reason = tally.firstRefusal instanceof Error ? tally.firstRefusal.message : String(tally.firstRefusal);
  const which = tally.refusedTail ? `from line ${tally.firstRefusedLine} on` : `the first at line ${tally.firstRefusedLine}`;
  const counted = fromStdin
    ? `${tally.refused} of ${tally.handed} events read from stdin not sent, ${which}`
    : `${tally.refused} of ${tally.handed} events not sent`;
  const alsoLost = lost === 0 ? "" : `; ${lostClause.replace(/^\d+ of \d+ [a-z ]+ were/, `${lost} more were`)}`;
  throw new SendError(`pubsub-run publish: ${counted}: ${reason}${alsoLost}${stopClause}`, { cause: tally.firstRefusal });
}

/** A second signal: the process exits at once, and what still waits is lost; says how much. */
function lastWord(tally: SendTally | undefined, signal: NodeJS.Signals, fromStdin: boolean): void {
  const what =
    tally === undefined
      ? "before sending anything"
      : `${tally.refused + tally.waiting} of ${tally.handed} ${fromStdin ? "events read from stdin" : "events"} not sent (${tally.waiting} still waiting for the transport)`;
  process.stderr.write(`pubsub-run publish: second ${signal}: exiting at once; ${what}\n`);
}

/** How {@link waitForSubscribers} waits. */
interface SubscriberWait {
  /** Subscribers to wait for (`--wait-subscribers`). */
  readonly count: number;
  /** The longest wait, in ms (`--wait-ms`). */
  readonly ms: number;
  /** Receives the function that ends the wait early (on a signal). */
  readonly onCancel: (cancel: () => void) => void;
  /** The signal received, if any. */
  readonly signalled: () => NodeJS.Signals | undefined;
}

/**
 * Straight to the network: holds the events until `wait.count` subscribers are
 * connected, at most `wait.ms`. Drivers that cannot count their subscribers send at
 * once, with a note.
 *
 * @throws {@link SendError} when the subscribers did not come, or a signal came first: nothing was sent.
 */
async function waitForSubscribers(
  publisher: PublisherApi,
  network: DriverDescription,
  driverName: string,
  source: AsyncIterator<ReadEvent>,
  wait: SubscriberWait,
): Promise<Held | undefined> {
  const { count, ms } = wait;
  if (count === 0 || ms === 0) return undefined;
  if (!isSubscriptionAware(publisher)) {
    process.stderr.write(
      `pubsub-run publish: pub_sub_driver ${driverName} cannot tell when subscribers are connected; sending without waiting (subscribers that connect later miss these events)\n`,
    );
    return undefined;
  }
  const gate = subscribersWithin(publisher, count, ms);
  wait.onCancel(gate.cancel);
  if (wait.signalled() !== undefined) gate.cancel();
  let held: Held;
  try {
    held = await holdUntilOpen(gate.opened, source);
  } finally {
    gate.cancel();
  }
  if (held.open) return held;
  if (!held.ended) process.stdin.destroy(); // stop reading: nothing will be sent
  const n = held.events.length;
  const unsent = `${n} event${n === 1 ? "" : "s"} ${held.ended ? "not sent" : "read from stdin not sent, the rest not read"}`;
  const signal = wait.signalled();
  if (signal !== undefined) {
    throw new SendError(`pubsub-run publish: ${signal} while waiting for subscribers to connect to ${network.address}; ${unsent}`);
  }
  const who = count === 1 ? "no subscriber" : `${publisher.subscribers} of ${count} subscribers (--wait-subscribers)`;
  throw new SendError(
    `pubsub-run publish: ${who} connected to ${network.address} within ${ms} ms (--wait-ms); ${unsent}; start the subscribers first, give them longer with --wait-ms, or pass --wait-subscribers 0 to send anyway`,
  );
}

/**
 * Through the service, at the end of stdin: says so when events still wait for the
 * service to take them (checked after one turn of the event loop, so events accepted
 * at once are not reported). Straight to the network nothing waits for a peer: PUB
 * sockets send to whoever is connected.
 */
async function reportWaiting(tally: SendTally, inbox: DriverDescription): Promise<void> {
  await nextTurn();
  const waiting = tally.waiting;
  if (waiting === 0) return;
  process.stderr.write(
    `pubsub-run publish: end of stdin; handing the last ${waiting} events to the transport (they wait here for the publisher service at ${inbox.address} to take them)\n`,
  );
}

function stdinEvents(onBad: () => void): AsyncIterator<ReadEvent> {
  return lineEvents(process.stdin, (lineNo, problem) => {
    onBad();
    process.stderr.write(`pubsub-run publish: stdin:${lineNo}: ${problem}; line skipped\n`);
  });
}

/** The event from the flags, read as stdin's events are. */
function oneEvent(event: PubSubEvent): AsyncIterator<ReadEvent> {
  const items = [{ event, line: undefined }][Symbol.iterator]();
  return { next: () => Promise.resolve(items.next()) };
}

function whole(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 0) {
    throw new UsageError(`pubsub-run publish: ${flag}: must be a whole number >= 0 (got ${JSON.stringify(text)})`);
  }
  return n;
}
