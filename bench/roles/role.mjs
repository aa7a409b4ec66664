// What every role process shares: its options from argv, messages to and from the parent.

/** The options the parent passed. */
export const options = JSON.parse(process.argv[2] ?? "{}");

/** CPU time when the role said "ready": what it spent starting up is not the run's. */
let cpuAtReady;

/** Sends a message to the parent. */
export function report(message) {
  if (message.type === "ready") cpuAtReady = process.cpuUsage();
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
  report({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
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
      const run = process.cpuUsage(cpuAtReady);
      report({ type: "cpu", user, system, run: run.user + run.system });
    } finally {
      process.exit(0);
    }
  };
  on("close", close);
  process.on("disconnect", close);
}

process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
