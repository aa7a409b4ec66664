/**
 * The logging surface pubsub uses: a subset of pino's, so a pino logger can be passed
 * wherever a {@link Logger} is expected.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
/** A log level, lowest first; `silent` logs nothing. */
export type LogLevel = (typeof LEVELS)[number];

/**
 * A logger writing one line per record to stderr, for use when the application gives
 * none: `level msg {fields}`.
 */
export function createStderrLogger(level: LogLevel = "warn"): Logger {
  const threshold = LEVELS.indexOf(level);
  const write = (lvl: LogLevel) => (obj: object, msg?: string) => {
    if (LEVELS.indexOf(lvl) < threshold) return;
    const fields = Object.keys(obj).length > 0 ? ` ${safeJson(obj)}` : "";
    process.stderr.write(`pubsub ${lvl}: ${msg ?? ""}${fields}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

function safeJson(obj: object): string {
  try {
    return JSON.stringify(obj, (_key, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message } : value,
    );
  } catch {
    return String(obj);
  }
}
