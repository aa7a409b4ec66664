import { isPubSubError } from "../errors.js";

/**
 * Writes an error to stderr as one line prefixed `pubsub-run: ` (unless the message
 * already names the command), a config error as one such line per problem, then, with
 * `debug`, the stack of it and of every cause.
 * Returns the exit code it calls for: 2 for the caller's mistakes, else 1.
 *
 * @param context - put before the message, e.g. `"stopping after SIGTERM failed: "`.
 */
export function reportError(err: unknown, debug: boolean, context = ""): number {
  for (const line of problemLines(err)) {
    const message = `${context}${line}`;
    process.stderr.write(`${message.startsWith("pubsub-run") ? "" : "pubsub-run: "}${message}\n`);
  }
  if (debug) {
    let cause: unknown = err;
    while (cause instanceof Error) {
      process.stderr.write(`${cause.stack ?? cause.message}\n`);
      cause = cause.cause;
      if (cause !== undefined) process.stderr.write("caused by: ");
    }
  }
  return isPubSubError(err) && err.isUsageError ? 2 : 1;
}

/** The lines an error is reported as: each of a config error's `problems`, else its message's first line. */
function problemLines(err: unknown): string[] {
  if (!(err instanceof Error)) return [String(err)];
  const problems: unknown = isPubSubError(err) ? (err as { problems?: unknown }).problems : undefined;
  if (Array.isArray(problems) && problems.length > 1 && problems.every((line) => typeof line === "string")) return problems;
  return [err.message.split("\n")[0] ?? ""];
}
