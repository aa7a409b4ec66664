// Runs the built pubsub-run launcher as a real child process.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/**
 * Runs `pubsub-run args...` in `cwd` with only the given environment variables (plus
 * PATH), and resolves with its exit code, stdout and stderr.
 */
export function runCli(args, { cwd, env = {}, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    // A command may stop reading its input early (publish does when nothing takes its
    // events): the rest of the input then fails to write, which is not the test's error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
  });
}
