import { isPubSubError } from "../errors.js";

/**
 * Writes an error to stderr as one line prefixed `pubsub-run: ` (unless the message
 * already names the command), then, with `debug`, the stack of it and of every cause.
 * Returns the exit code it calls for: 2 for the caller's mistakes, else 1.
 *
 * @param context - put before the message, e.g. `"stopping after SIGTERM failed: "`.
 */
export function reportError(err: unknown, debug: boolean, context = ""): number {
  const message = `${context}${err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err)}`;
  process.stderr.write(`${message.startsWith("pubsub-run") ? "" : "pubsub-run: "}${message}\n`);
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
