import { createInterface } from "node:readline";
import type { PublisherApi } from "../agents/api.js";
import type { PubSubEvent } from "../agents/event.js";
import { UsageError } from "../errors.js";
import { loadFromConfig } from "../loader/load.js";
import { isPlainObject } from "../loader/text-values.js";
import { parseCommandArgs } from "./args.js";

export const PUBLISH_HELP = `Usage: pubsub-run publish --table T --key K --action A [--value JSON] [--topic T]
       pubsub-run publish --stdin
                         [--config FILE] [--set key=value]... [--debug]

Publishes events: through the publisher service when pub_sub_use_multiproc is true
(start it with 'pubsub-run service'), else straight to the network with pub_sub_driver.
Exits after every event was flushed to the transport.

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
  -c, --config FILE     config file to use
      --set key=value   override an option (repeatable)
      --debug           print stack traces on errors
  -h, --help            show this help
`;

/** `pubsub-run publish`: send one event from flags, or JSON lines from stdin. */
export async function runPublish(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs("publish", args, {
    table: { type: "string" },
    key: { type: "string" },
    action: { type: "string" },
    value: { type: "string" },
    topic: { type: "string" },
    stdin: { type: "boolean" },
  });
  if (values.help === true) {
    process.stdout.write(PUBLISH_HELP);
    return 0;
  }
  const single = values.stdin === true ? undefined : eventFromFlags(values);
  const pubsub = await loadFromConfig({ configPath: values.config, overrides: values.set ?? [], subscriber: false });
  const publisher = pubsub.publisher as PublisherApi;
  let bad = 0;
  try {
    if (single !== undefined) {
      await publisher.sendEvent(single);
    } else {
      bad = await publishLines(publisher);
    }
  } finally {
    await pubsub.close();
  }
  return bad > 0 ? 1 : 0;
}

function eventFromFlags(values: Record<string, unknown>): PubSubEvent {
  const missing = ["table", "key", "action"].filter((flag) => typeof values[flag] !== "string");
  if (missing.length > 0) {
    throw new UsageError(`pubsub-run publish: missing ${missing.map((f) => `--${f}`).join(", ")}; give --table, --key and --action, or --stdin`);
  }
  let value: unknown = null;
  if (typeof values["value"] === "string") {
    try {
      value = JSON.parse(values["value"]) as unknown;
    } catch {
      throw new UsageError(`pubsub-run publish: --value: not valid JSON (got ${values["value"]}); quote strings, e.g. --value '"text"'`);
    }
  }
  return {
    table: values["table"] as string,
    key: values["key"] as string,
    action: values["action"] as string,
    value,
    topic: typeof values["topic"] === "string" ? values["topic"] : null,
  };
}

/**
 * Sends each good line in order without waiting for the previous send (the publisher
 * keeps order), reports bad lines on stderr, and returns how many were bad.
 */
async function publishLines(publisher: PublisherApi): Promise<number> {
  let lineNo = 0;
  let bad = 0;
  let pending = 0;
  const sends: Promise<void>[] = [];
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    lineNo += 1;
    if (line.trim() === "") continue;
    const parsed = parseEventLine(line);
    if (typeof parsed === "string") {
      bad += 1;
      process.stderr.write(`pubsub-run publish: stdin:${lineNo}: ${parsed}; line skipped\n`);
      continue;
    }
    pending += 1;
    sends.push(publisher.sendEvent(parsed).finally(() => (pending -= 1)));
    if (sends.length >= 1024) await Promise.all(sends.splice(0));
  }
  if (pending > 0) {
    process.stderr.write(`pubsub-run publish: end of stdin; handing the last ${pending} events to the transport (they wait here until the publisher service is up)\n`);
  }
  await Promise.all(sends);
  return bad;
}

/** Parses one stdin line into an event, or returns what is wrong with it. */
export function parseEventLine(line: string): PubSubEvent | string {
  let data: unknown;
  try {
    data = JSON.parse(line) as unknown;
  } catch (err: unknown) {
    return `not valid JSON (${err instanceof Error ? err.message : String(err)})`;
  }
  if (!isPlainObject(data)) return "expected a JSON object {table, key, action, value, topic}";
  if (typeof data["action"] !== "string" || data["action"] === "") return "missing \"action\" (a non-empty string)";
  for (const field of ["table", "key", "topic"]) {
    const v = data[field];
    if (v !== undefined && v !== null && typeof v !== "string") return `"${field}" must be a string or null`;
  }
  return {
    table: (data["table"] as string | undefined) ?? null,
    key: (data["key"] as string | undefined) ?? null,
    action: data["action"],
    value: data["value"] ?? null,
    topic: (data["topic"] as string | undefined) ?? null,
  };
}
