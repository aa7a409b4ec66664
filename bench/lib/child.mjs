// Bench roles run as child processes; the parent talks to them over the fork channel.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

let seq = 0;
const ROLES = fileURLToPath(new URL("../roles/", import.meta.url));

/**
 * A role process: `next(type)` resolves with the next message of that type, `send()`
 * writes to it, `stop()` asks it to close and waits for its exit.
 */
export class Child {
  #inbox = [];
  #waiters = [];
  #exit;

  constructor(role, options, { execArgv = [] } = {}) {
    this.role = role;
    this.impl = options.impl ?? "ours";
    const profile = process.env.PUBSUB_BENCH_PROFILE
      ? [
          `--cpu-prof`,
          `--cpu-prof-dir=${process.env.PUBSUB_BENCH_PROFILE}`,
          `--cpu-prof-name=${role}-${options.impl ?? "ours"}-${process.pid}-${(seq += 1)}.cpuprofile`,
        ]
      : [];
    this.process = fork(`${ROLES}${role}.mjs`, [JSON.stringify(options)], {
      execArgv: [...execArgv, ...profile],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#exit = new Promise((resolve) => {
      this.process.once("exit", (code, signal) => {
        resolve({ code, signal });
        for (const waiter of this.#waiters.splice(0))
          waiter.reject(new Error(`bench role ${role} exited (${signal ?? code}) while waiting for ${waiter.type}`));
      });
    });
    this.process.on("message", (message) => {
      if (message.type === "cpu") {
        this.cpu = message;
        return;
      }
      if (message.type === "error") {
        for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error(`bench role ${role}: ${message.message}`));
        return;
      }
      const index = this.#waiters.findIndex((waiter) => waiter.type === message.type);
      if (index >= 0) this.#waiters.splice(index, 1)[0].resolve(message);
      else this.#inbox.push(message);
    });
  }

  next(type) {
    const index = this.#inbox.findIndex((message) => message.type === type);
    if (index >= 0) return Promise.resolve(this.#inbox.splice(index, 1)[0]);
    if (this.process.exitCode !== null || this.process.signalCode !== null) {
      return Promise.reject(new Error(`bench role ${this.role} has exited; no ${type} will come`));
    }
    return new Promise((resolve, reject) => this.#waiters.push({ type, resolve, reject }));
  }

  send(message) {
    if (this.process.connected) this.process.send(message);
  }

  async stop() {
    this.send({ type: "close" });
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 10_000);
    try {
      return await this.#exit;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Stops every child, whatever happened, in the order given (publishers before the
 * subscribers they feed), and says which one did not exit cleanly.
 */
export async function stopAll(children) {
  for (const child of children) {
    const { code, signal } = await child.stop().catch(() => ({ code: null, signal: "unknown" }));
    if (code !== 0) process.stderr.write(`bench: role ${child.role} (${child.impl}) exited with ${signal ?? `code ${code}`}\n`);
  }
}
