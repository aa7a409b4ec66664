import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.js";

/** Flags every command takes. */
export const COMMON_OPTIONS = {
  config: { type: "string", short: "c" },
  set: { type: "string", multiple: true },
  debug: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

/** The common flags, parsed. */
export interface CommonFlags {
  config?: string | undefined;
  set?: string[] | undefined;
  debug?: boolean | undefined;
  help?: boolean | undefined;
}

/**
 * Parses a command's arguments strictly: an unknown flag or a missing value is a
 * {@link UsageError} that names the command and points at its `--help`.
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  command: string,
  args: readonly string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...args], options: { ...COMMON_OPTIONS, ...options }, strict: true, allowPositionals });
  } catch (err: unknown) {
    const message = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
    throw new UsageError(`pubsub-run ${command}: ${message.replace(/\.$/, "")}; see pubsub-run ${command} --help`, { cause: err });
  }
}
