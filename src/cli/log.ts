import pino from "pino";
import pretty from "pino-pretty";
import type { Logger } from "../logger.js";

/**
 * The launcher's logger, on stderr: JSON lines (pino's format) with `--json`, else
 * human-readable lines, coloured on a terminal. Written synchronously, so nothing is
 * lost when the process exits right after a log line.
 */
export function createCliLogger(options: { json: boolean; name: string }): Logger & { flush(): void } {
  if (options.json) {
    return pino({ name: options.name, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  }
  const stream = pretty({
    destination: 2,
    sync: true,
    colorize: process.stderr.isTTY === true,
    translateTime: "HH:MM:ss.l",
    ignore: "pid,hostname",
    singleLine: true,
  });
  return pino({ name: options.name }, stream);
}
