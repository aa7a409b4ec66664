// What every role process shares: its options from argv, messages to and from the parent.

/** The options the parent passed. */
export const options = JSON.parse(process.argv[2] ?? "{}");

/** Sends a message to the parent. */
export function report(message) {
  process.send?.(message);
}

/** Calls `handler(message)` for each message of `type` from the parent. */
export function on(type, handler) {
  process.on("message", (message) => {
    if (message.type !== type) return;
    Promise.resolve()
      .then(() => handler(message))
      .catch(fail);
  });
}

/** Reports an error to the parent and exits 1. */
export function fail(err) {
  report({ type: "error", message: err instanceof Error ? err.stack ?? err.message : String(err) });
  process.exitCode = 1;
  setImmediate(() => process.exit(1));
}

/** On "close": runs `closer`, then exits 0. Also when the parent goes away. */
export function closeWith(closer) {
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    try {
      await closer();
      const { user, system } = process.cpuUsage();
      report({ type: "cpu", user, system });
    } finally {
      process.exit(0);
    }
  };
  on("close", close);
  process.on("disconnect", close);
}

process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
