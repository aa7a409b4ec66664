import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { PubSubEvent } from "../contract.js";
import { UsageError } from "../errors.js";
import { isPlainObject } from "../loader/text-values.js";

/** An event read, and the stdin line it came from (undefined for the event from flags). */
export interface ReadEvent {
  readonly event: PubSubEvent;
  readonly line: number | undefined;
}

/**
 * The event `--table`, `--key`, `--action`, `--value` and `--topic` describe.
 *
 * @throws {@link UsageError} when a required flag is missing or `--value` is not JSON.
 */
export function eventFromFlags(values: Record<string, unknown>): PubSubEvent {
  const missing = ["table", "key", "action"].filter((flag) => typeof values[flag] !== "string");
  if (missing.length > 0) {
    throw new UsageError(
      `pubsub-run publish: missing ${missing.map((f) => `--${f}`).join(", ")}; give --table, --key and --action, or --stdin`,
    );
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
 * The events of `input`, one JSON object per line, in order, each with its line number.
 * A bad line is reported with its number through `onBad` and skipped; blank lines are
 * ignored.
 */
export async function* lineEvents(input: Readable, onBad: (lineNo: number, problem: string) => void): AsyncGenerator<ReadEvent> {
  let lineNo = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNo += 1;
    if (line.trim() === "") continue;
    const parsed = parseEventLine(line);
    if (typeof parsed === "string") onBad(lineNo, parsed);
    else yield { event: parsed, line: lineNo };
  }
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
  if (typeof data["action"] !== "string" || data["action"] === "") return 'missing "action" (a non-empty string)';
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
