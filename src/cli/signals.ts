import { reportError } from "./report.js";

/** Options of {@link untilSignal}. */
export interface UntilSignalOptions {
  /** Print the stack when stopping fails. */
  debug?: boolean | undefined;
  /** Called on a second signal, just before the process exits with code 1: a last word on what is lost. */
  onSecondSignal?: ((signal: NodeJS.Signals) => void) | undefined;
}

/**
 * Runs `stop` once on the first SIGINT or SIGTERM (with its name) and resolves with the
 * signal's name once it is done. A second signal while stopping exits at once with code
 * 1 (after `onSecondSignal`); so does a `stop` that fails, after one line on stderr
 * saying why (its stack with `debug`).
 */
export function untilSignal(
  stop: (signal: NodeJS.Signals) => Promise<void>,
  options: UntilSignalOptions = {},
): { signalled: Promise<NodeJS.Signals>; dispose: () => void; readonly received: NodeJS.Signals | undefined } {
  let received: NodeJS.Signals | undefined;
  let settle: (signal: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => (settle = resolve));
  const handler = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      options.onSecondSignal?.(signal);
      process.exit(1);
    }
    received = signal;
    Promise.resolve()
      .then(() => stop(signal))
      .then(
        () => settle(signal),
        (err: unknown) => {
          reportError(err, options.debug === true, `stopping after ${signal} failed: `);
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  const dispose = (): void => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
  return {
    signalled,
    dispose,
    get received() {
      return received;
    },
  };
}
