// Long-running pubsub-run processes for tests: their output line by line, and waits
// for a line (a handshake), never for a fixed time.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { after } from "node:test";
import { Changes, until } from "../../dist/testing.js";
import { CLI } from "./cli.mjs";

/** How long a wait may take before the test fails with the process's output. */
const WAIT_MS = 20_000;

/** A running `pubsub-run args...` (or `node script args...` with the `script` option). */
export class CliProcess {
  stdout = [];
  stderr = [];
  /** False until the process exited and its output was read to the end. */
  done = false;
  #changes = new Changes();

  /**
   * `launcher`: words put before the node command, to run it elsewhere, e.g.
   * `["ip", "netns", "exec", ns]` (see netns.mjs); they must exec node, not fork it, so
   * signals reach the CLI.
   */
  constructor(args, { env = {}, cwd, script = CLI, launcher = [] } = {}) {
    this.args = args;
    const [command, ...before] = [...launcher, process.execPath];
    this.child = spawn(command, [...before, script, ...args], {
      cwd,
      env: { PATH: process.env.PATH, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdin.on("error", () => {});
    for (const stream of ["stdout", "stderr"]) {
      createInterface({ input: this.child[stream] }).on("line", (line) => {
        this[stream].push(line);
        this.#changes.notify();
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once("close", (code, signal) => {
        this.done = true;
        this.#changes.notify();
        resolve({ code, signal });
      });
    });
  }

  /** Resolves with the first line of `stream` matching `pattern`; fails if the process exits first. */
  waitFor(pattern, stream = "stderr") {
    const matching = this.#matching(pattern, stream);
    return this.#wait(() => matching()[0], `a ${stream} line matching ${pattern}`);
  }

  /** Resolves once `stream` has `count` lines matching `pattern`, with those lines. */
  waitForCount(pattern, count, stream = "stdout") {
    const matching = this.#matching(pattern, stream);
    return this.#wait(() => {
      const lines = matching();
      return lines.length >= count ? lines : undefined;
    }, `${count} ${stream} lines matching ${pattern}`);
  }

  /**
   * The lines of `stream` matching `pattern`, as a function that reads only the lines
   * added since its last call: a wait re-checks on every line, and scanning the whole
   * output each time made a wait for 30,000 lines cost the test process seconds of CPU,
   * so that it fell behind reading the child's output.
   */
  #matching(pattern, stream) {
    const lines = this[stream];
    const matched = [];
    let scanned = 0;
    return () => {
      for (; scanned < lines.length; scanned += 1) if (pattern.test(lines[scanned])) matched.push(lines[scanned]);
      return matched;
    };
  }

  /** Resolves once `stream` has at least `count` lines (cheap for long outputs: no pattern). */
  waitForLines(count, stream = "stdout") {
    return this.#wait(() => (this[stream].length >= count ? this[stream].length : undefined), `${count} ${stream} lines`);
  }

  /** Resolves with the exit code and signal. */
  async exit() {
    const { code, signal } = await until(this.exited, `pubsub-run ${this.args[0]} to exit`, {
      timeoutMs: WAIT_MS,
      status: () => this.#output(),
    });
    return { code, signal };
  }

  kill(signal = "SIGTERM") {
    this.child.kill(signal);
  }

  /** Writes lines to stdin; `end` closes it. */
  write(text, end = false) {
    if (end) this.child.stdin.end(text);
    else this.child.stdin.write(text);
  }

  /** Stops the process if it still runs (test cleanup). */
  async stop() {
    if (this.done) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Resolves with what `probe()` found once it finds something; fails if the process exits first. */
  async #wait(probe, what) {
    let found;
    const seen = () => {
      found = probe();
      if (found !== undefined) return true;
      if (this.done) throw new Error(`pubsub-run ${this.args[0]} exited before ${what}\n${this.#output()}`);
      return false;
    };
    await until(seen, `${what} from pubsub-run ${this.args[0]}`, {
      changes: this.#changes,
      timeoutMs: WAIT_MS,
      status: () => this.#output(),
    });
    return found;
  }

  #output() {
    return `stdout:\n${this.stdout.join("\n")}\nstderr:\n${this.stderr.join("\n")}`;
  }
}

/** Waits for every process to stop (SIGKILL those still running). */
export async function stopAll(processes) {
  await Promise.all(processes.map((p) => p.stop()));
}

/**
 * For one test file: `start(args, options)` starts a {@link CliProcess}, and every
 * process it started is stopped after the file's tests, whatever became of them.
 */
export function processStarter() {
  const running = [];
  after(() => stopAll(running));
  return (args, options) => {
    const child = new CliProcess(args, options);
    running.push(child);
    return child;
  };
}
