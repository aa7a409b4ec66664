import pino from "pino";
import { prettyFactory } from "pino-pretty";
import type { Logger } from "../contract.js";
import { errorSummary } from "../logger.js";

/** True when `stream` is a terminal (`isTTY` is missing, not false, on pipes and files). */
export function isTerminal(stream: NodeJS.WriteStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** Options of {@link createCliLogger}. */
export interface CliLoggerOptions {
  /** JSON lines (pino's format) instead of human-readable lines. */
  json: boolean;
  /** The logger's name, shown on every line. */
  name: string;
  /** Log errors whole, with their stack; else as `{code, message}` on the record's one line. */
  debug?: boolean | undefined;
}

/**
 * The launcher's logger, on stderr: JSON lines (pino's format) with `json`, else
 * human-readable lines, coloured on a terminal. One line per record: an `err` field is
 * logged as `{code, message}` (causes' messages included), with its stack only with
 * `debug`. Written synchronously, so nothing is lost when the process exits right after
 * a log line.
 */
export function createCliLogger(options: CliLoggerOptions): Logger {
  const debug = options.debug === true;
  const serializers = { err: debug ? pino.stdSerializers.err : errorSummary };
  const stderr = pino.destination({ fd: 2, sync: true });
  if (options.json) {
    return pino({ name: options.name, base: { pid: process.pid }, serializers }, stderr);
  }
  // pino-pretty prints the fields it takes for errors on lines of their own: without
  // --debug no field is one, so the summary stays on the record's line.
  const prettify = prettyFactory({
    colorize: isTerminal(process.stderr),
    translateTime: "HH:MM:ss.l",
    ignore: "pid,hostname",
    singleLine: true,
    ...(debug ? {} : { errorLikeObjectKeys: [] }),
  });
  return pino({ name: options.name, serializers }, { write: (record: string) => stderr.write(prettify(record)) });
}
