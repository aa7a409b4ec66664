import { createRequire } from "node:module";
import { closest, distance } from "fastest-levenshtein";
import { UsageError } from "../errors.js";
import { runCheck } from "./check.js";
import { runDemo } from "./demo.js";
import { runKeygen } from "./keygen.js";
import { runPublish } from "./publish.js";
import { reportError } from "./report.js";
import { runService } from "./service.js";
import { runSubscribe } from "./subscribe.js";

const COMMANDS: Readonly<Record<string, (args: readonly string[]) => Promise<number>>> = Object.freeze({
  service: runService,
  subscribe: runSubscribe,
  publish: runPublish,
  demo: runDemo,
  check: runCheck,
  keygen: runKeygen,
});

const HELP = `Usage: pubsub-run <command> [options]

Commands:
  service    run the publisher service: worker processes (IPC) -> the network
  subscribe  print events as JSON lines
  publish    send one event from flags, or JSON lines from stdin
  demo       the whole topology on this machine: service, workers, a live count
  check      validate the config and print the effective config and drivers
  keygen     write a CurveZMQ key pair for zmq.curve (--out DIR, --name NAME)

Every command takes --config FILE, --set key=value (repeatable), --debug, --help and
--log-level LEVEL (trace, debug, info, warn, error, fatal, silent; default info).
Run 'pubsub-run <command> --help' for a command's options.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad config.
`;

/** Runs the launcher with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes("--debug");
  try {
    const [command, ...rest] = argv;
    if (command === undefined) {
      // Help nobody asked for is a usage error: it goes with the errors, to stderr.
      process.stderr.write(HELP);
      return 2;
    }
    if (command === "--help" || command === "-h" || command === "help") {
      process.stdout.write(HELP);
      return 0;
    }
    if (command === "--version" || command === "-v") {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    const run = COMMANDS[command];
    if (run === undefined) {
      const names = Object.keys(COMMANDS);
      const nearest = closest(command, names);
      const hint = distance(command, nearest) <= 2 ? `did you mean ${nearest}? ` : "";
      throw new UsageError(`pubsub-run: unknown command '${command}'; ${hint}commands: ${names.join(", ")} (see pubsub-run --help)`);
    }
    return await run(rest);
  } catch (err: unknown) {
    return reportError(err, debug);
  }
}

function version(): string {
  const require = createRequire(import.meta.url);
  return (require("../../package.json") as { version: string }).version;
}
