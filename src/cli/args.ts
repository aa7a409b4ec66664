import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.js";
import { isLogLevel, LOG_LEVELS, type LogLevel, moreVerbose } from "../logger.js";

/** Flags every command takes. */
export const COMMON_OPTIONS = {
  config: { type: "string", short: "c" },
  set: { type: "string", multiple: true },
  debug: { type: "boolean" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

/** The common flags, parsed. */
export interface CommonFlags {
  config?: string | undefined;
  set?: string[] | undefined;
  debug?: boolean | undefined;
  "log-level"?: string | undefined;
  help?: boolean | undefined;
}

/**
 * Parses a command's arguments strictly: an unknown flag or a missing value is a
 * {@link UsageError} that names the command and points at its `--help`.
 *
 * `--log-level L` is checked here and becomes `--set log_level=L`, so it takes the
 * precedence of a flag over `PUBSUB_LOG_LEVEL` and the file, and every command's
 * effective config shows it.
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  command: string,
  args: readonly string[],
  options: O,
  allowPositionals = false,
) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...COMMON_OPTIONS, ...options }, strict: true, allowPositionals });
  } catch (err: unknown) {
    const message = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
    throw new UsageError(`pubsub-run ${command}: ${message.replace(/\.$/, "")}; see pubsub-run ${command} --help`, { cause: err });
  }
  const flags = parsed.values as CommonFlags;
  const level = flags["log-level"];
  if (level !== undefined) {
    if (!isLogLevel(level)) {
      throw new UsageError(`pubsub-run ${command}: --log-level: must be one of ${LOG_LEVELS.join(", ")} (got ${JSON.stringify(level)})`);
    }
    flags.set = [...(flags.set ?? []), `log_level=${level}`];
  }
  return parsed;
}

/** The level the flags ask for, before the config is read: `--log-level`, else debug with `--debug`, else info. */
export function flagLogLevel(flags: CommonFlags): LogLevel {
  const level = flags["log-level"];
  return commandLogLevel({ log_level: isLogLevel(level) ? level : "info" }, flags);
}

/**
 * The level a command logs at: the config's `log_level` (which `--log-level` set when
 * given); `--debug` without `--log-level` makes it at least `debug`.
 */
export function commandLogLevel(config: { readonly log_level: LogLevel }, flags: CommonFlags): LogLevel {
  if (flags.debug === true && flags["log-level"] === undefined) return moreVerbose(config.log_level, "debug");
  return config.log_level;
}
