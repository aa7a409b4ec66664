/**
 * Runs `stop` once on the first SIGINT or SIGTERM and resolves with the signal's name;
 * a second signal while stopping exits at once with code 1.
 */
export function untilSignal(stop: () => Promise<void>): { signalled: Promise<NodeJS.Signals>; dispose: () => void } {
  let stopping = false;
  let settle: (signal: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => (settle = resolve));
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    void stop().finally(() => settle(signal));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  const dispose = (): void => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
  return { signalled, dispose };
}
