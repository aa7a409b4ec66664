import pino from "pino";
import { loggerOptions, type LogLevel } from "../logger.js";

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
  /** Lowest level logged. Default `"info"`. */
  level?: LogLevel | undefined;
  /** Log errors whole, with their stack; else as `{code, message}` on the record's one line. */
  debug?: boolean | undefined;
}

type PrettyFactory = (options: Record<string, unknown>) => (record: string) => string;

/**
 * The launcher's logger, on stderr: JSON lines (pino's format) with `json`, else
 * human-readable lines, coloured on a terminal. One line per record: an `err` field is
 * logged as `{code, message}` (causes' messages included), with its stack only with
 * `debug`. Written synchronously, so nothing is lost when the process exits right after
 * a log line.
 *
 * Readable lines come from `pino-pretty`, an optional dependency imported only for
 * them: when it is not installed the logger writes JSON lines, after one line saying so.
 */
export async function createCliLogger(options: CliLoggerOptions): Promise<pino.Logger> {
  const debug = options.debug === true;
  const settings = loggerOptions({ name: options.name, level: options.level, debug });
  const stderr = pino.destination({ fd: 2, sync: true });
  if (options.json) return pino(settings, stderr);
  const prettyFactory = await importPretty();
  if (prettyFactory === undefined) {
    stderr.write(
      `${options.name}: pino-pretty is not installed, so logs are JSON lines (npm install pino-pretty for readable ones, or pass --json)\n`,
    );
    return pino(settings, stderr);
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
  return pino(settings, { write: (record: string) => stderr.write(prettify(record)) });
}

/** pino-pretty's `prettyFactory`, or undefined when the package is not installed. */
async function importPretty(): Promise<PrettyFactory | undefined> {
  try {
    const pretty = (await import("pino-pretty")) as { prettyFactory?: unknown; default?: { prettyFactory?: unknown } };
    const factory = pretty.prettyFactory ?? pretty.default?.prettyFactory;
    return typeof factory === "function" ? (factory as PrettyFactory) : undefined;
  } catch (err: unknown) {
    if (isModuleNotFound(err)) return undefined;
    throw err;
  }
}

function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}
