import { setImmediate as nextTurn } from "node:timers/promises";
import { type DriverDescription, isSubscriptionAware, type PublisherApi, type PubSubEvent } from "../contract.js";
import { SendError, StateError, UsageError } from "../errors.js";
import { loadFromConfig } from "../loader/load.js";
import { parseCommandArgs } from "./args.js";
import { eventFromFlags, lineEvents } from "./publish-input.js";
import { holdUntilOpen, SendTally, subscribersWithin, type Held } from "./publish-send.js";

export const PUBLISH_HELP = `Usage: pubsub-run publish --table T --key K --action A [--value JSON] [--topic T]
       pubsub-run publish --stdin
                         [--wait-subscribers N] [--wait-ms MS]
                         [--config FILE] [--set key=value]... [--debug]

Publishes events: through the publisher service when pub_sub_use_multiproc is true
(start it with 'pubsub-run service'), else straight to the network with pub_sub_driver.
Exits after every event was flushed to the transport.

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
                        rest still go out, and the exit code is 1; when 1024 events
                        wait and none is taken for linger_ms (no publisher service,
                        no broker), it stops reading and says how many were not sent
      --wait-subscribers N
                        straight to the network only: subscribers to wait for before
                        sending (default 1; 0 sends at once, to whoever is there)
      --wait-ms MS      straight to the network only: the longest wait for them, in
                        milliseconds (default 5000; 0 sends at once)
  -c, --config FILE     config file to use
      --set key=value   override an option (repeatable)
      --debug           print stack traces on errors
  -h, --help            show this help

Exit codes: 0 every event was sent, 1 some were not (or a stdin line was bad),
2 bad usage or config.
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
  const pubsub = await loadFromConfig({ configPath: values.config, overrides: values.set ?? [], subscriber: false });
  const publisher = pubsub.publisher as PublisherApi;
  const { config } = pubsub;
  let bad = 0;
  const source = single === undefined ? stdinEvents(() => (bad += 1)) : oneEvent(single);
  // The publisher's driver: the multiproc one through the service, else the network one.
  const driver = config.pub_sub_use_multiproc ? pubsub.drivers.multiproc : pubsub.drivers.network;
  if (driver === undefined) throw new StateError("loadFromConfig() described no driver for the publisher");
  const { linger } = driver;
  const tally = new SendTally(publisher, linger.ms);
  try {
    if (config.pub_sub_use_multiproc && (waitSubscribers !== undefined || waitMs !== undefined)) {
      throw new UsageError(
        "pubsub-run publish: --wait-subscribers and --wait-ms apply when pub_sub_use_multiproc is false (publishing straight to the network); through the publisher service, run 'pubsub-run service --wait-subscribers N' instead",
      );
    }
    const held = config.pub_sub_use_multiproc
      ? undefined
      : await waitForSubscribers(publisher, driver, config.pub_sub_driver, source, waitSubscribers ?? 1, waitMs ?? DEFAULT_WAIT_MS);
    await tally.sendAll(source, held);
    if (tally.stalled)
      process.stdin.destroy(); // nothing takes events: stop reading
    else if (single === undefined && config.pub_sub_use_multiproc) await reportWaiting(tally, driver);
  } finally {
    await pubsub.close();
  }
  await tally.settled();
  if (tally.refused > 0) {
    const reason = tally.firstRefusal instanceof Error ? tally.firstRefusal.message : String(tally.firstRefusal);
    const unread = tally.stalled
      ? `; stopped reading stdin after ${tally.handed} events, as none was taken for ${linger.ms} ms (${linger.option})`
      : "";
    throw new SendError(`pubsub-run publish: ${tally.refused} of ${tally.handed} events not sent: ${reason}${unread}`, {
      cause: tally.firstRefusal,
    });
  }
  return bad > 0 ? 1 : 0;
}

/**
 * Straight to the network: holds the events until `count` subscribers are connected,
 * at most `ms`. Drivers that cannot count their subscribers send at once, with a note.
 *
 * @throws {@link SendError} when the subscribers did not come: nothing was sent.
 */
async function waitForSubscribers(
  publisher: PublisherApi,
  network: DriverDescription,
  driverName: string,
  source: AsyncIterator<PubSubEvent>,
  count: number,
  ms: number,
): Promise<Held | undefined> {
  if (count === 0 || ms === 0) return undefined;
  if (!isSubscriptionAware(publisher)) {
    process.stderr.write(
      `pubsub-run publish: pub_sub_driver ${driverName} cannot tell when subscribers are connected; sending without waiting (subscribers that connect later miss these events)\n`,
    );
    return undefined;
  }
  const gate = subscribersWithin(publisher, count, ms);
  let held: Held;
  try {
    held = await holdUntilOpen(gate.opened, source);
  } finally {
    gate.cancel();
  }
  if (held.open) return held;
  if (!held.ended) process.stdin.destroy(); // stop reading: nothing will be sent
  const who = count === 1 ? "no subscriber" : `${publisher.subscribers} of ${count} subscribers (--wait-subscribers)`;
  const unsent = `${held.events.length} event${held.events.length === 1 ? "" : "s"} ${held.ended ? "not sent" : "read from stdin not sent, the rest not read"}`;
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

function stdinEvents(onBad: () => void): AsyncIterator<PubSubEvent> {
  return lineEvents(process.stdin, (lineNo, problem) => {
    onBad();
    process.stderr.write(`pubsub-run publish: stdin:${lineNo}: ${problem}; line skipped\n`);
  });
}

/** The event from the flags, read as stdin's events are. */
function oneEvent(event: PubSubEvent): AsyncIterator<PubSubEvent> {
  const items = [event][Symbol.iterator]();
  return { next: () => Promise.resolve(items.next()) };
}

function whole(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 0) {
    throw new UsageError(`pubsub-run publish: ${flag}: must be a whole number >= 0 (got ${JSON.stringify(text)})`);
  }
  return n;
}
