// `pubsub-run` processes for the faults scenario, as an operator runs them: their output
// line by line as it comes, waits on what they print (never on a timer), signals, stdin.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Changes, until } from "../../dist/testing.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** How long a wait on a process may take before the run fails with what it printed. */
export const WAIT_MS = 30_000;

/** A running `pubsub-run args...`; `onLine(stream, line)` sees each line as it comes. */
export class PubsubRun {
  stderr = [];
  /** Set once the process exited and its output was read to the end. */
  exited;
  done = false;
  changes = new Changes();

  constructor(args, { onLine = () => {}, keepStdout = false } = {}) {
    this.args = args;
    this.stdout = keepStdout ? [] : undefined;
    this.child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH }, stdio: ["pipe", "pipe", "pipe"] });
    // publish stops reading stdin when nothing takes its events: what is left fails to write.
    this.child.stdin.on("error", () => {});
    for (const stream of ["stdout", "stderr"]) {
      createInterface({ input: this.child[stream] }).on("line", (line) => {
        if (stream === "stderr") this.stderr.push(line);
        else this.stdout?.push(line);
        onLine(stream, line);
        this.changes.notify();
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once("close", (code, signal) => {
        this.done = true;
        this.changes.notify();
        resolve({ code, signal });
      });
    });
  }

  /** Resolves once `condition()` holds, checked after each line; fails if the process exits first. */
  waitUntil(condition, what, timeoutMs = WAIT_MS) {
    const check = () => {
      if (condition()) return true;
      if (this.done) throw new Error(`pubsub-run ${this.args[0]} exited before ${what}\n${this.#tail()}`);
      return false;
    };
    return until(check, `${what} from pubsub-run ${this.args[0]}`, { changes: this.changes, timeoutMs, status: () => this.#tail() });
  }

  /** Resolves with the first stderr line matching `pattern` after the first `from` lines. */
  async waitForLine(pattern, what, from = 0, timeoutMs = WAIT_MS) {
    let found;
    await this.waitUntil(() => (found = this.stderr.slice(from).find((line) => pattern.test(line))) !== undefined, what, timeoutMs);
    return found;
  }

  /** Resolves with the exit code and signal, within `timeoutMs`. */
  exit(timeoutMs = WAIT_MS) {
    return until(this.exited, `pubsub-run ${this.args[0]} to exit`, { timeoutMs, status: () => this.#tail() });
  }

  kill(signal) {
    if (!this.done) this.child.kill(signal);
  }

  write(text) {
    if (!this.child.stdin.destroyed) this.child.stdin.write(text);
  }

  end() {
    this.child.stdin.end();
  }

  /** Stops the process if it still runs (cleanup after a failure). */
  async stop() {
    if (this.done) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  #tail() {
    return `stderr:\n${this.stderr.slice(-5).join("\n")}`;
  }
}
