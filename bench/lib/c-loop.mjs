// libzmq's own limit: bench/c/zmq-loop.c, compiled with the system compiler into
// bench/c/build the first time a run needs it. Without a compiler or libzmq's headers
// the rows that need it say why they were skipped.
import { execFile } from "node:child_process";
import { mkdir, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { encodeEvent } from "../../dist/wire.js";
import { freePort } from "../../dist/testing.js";
import { TOPIC, benchEvent, padding } from "./events.mjs";

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL("../c/zmq-loop.c", import.meta.url));
const BUILD = fileURLToPath(new URL("../c/build/", import.meta.url));
const BINARY = `${BUILD}zmq-loop`;

let built;

/** Compiles the C loop once; resolves with undefined, or with why it cannot run here. */
export function buildCLoop() {
  built ??= compile();
  return built;
}

async function compile() {
  const [source, binary] = await Promise.all([stat(SOURCE), stat(BINARY).catch(() => undefined)]);
  if (binary !== undefined && binary.mtimeMs >= source.mtimeMs) return undefined;
  await mkdir(BUILD, { recursive: true });
  const compiler = process.env.CC ?? "cc";
  try {
    await run(compiler, ["-O2", "-o", BINARY, SOURCE, "-lzmq", "-lpthread"]);
    return undefined;
  } catch (err) {
    if (err.code === "ENOENT") return `no C compiler (${compiler}; apt-get install gcc)`;
    const output = `${err.stderr ?? ""}`;
    if (/zmq\.h|-lzmq|cannot find -lzmq/.test(output)) return "libzmq3-dev not installed (apt-get install libzmq3-dev)";
    return `bench/c/zmq-loop.c did not compile: ${output.split("\n").find((line) => /error/.test(line)) ?? output.split("\n")[0]}`;
  }
}

/** The size of the payload our publisher sends for a value of `size` bytes, its key the middle of `count`: the stamped map. */
export function ourPayloadBytes(size, count = 1) {
  return encodeEvent(benchEvent(Math.floor(count / 2), padding(size)), TOPIC, { publisherId: "0123456789abcdef", sequence: 1 }).length;
}

/** One run of the C loop: `count` messages of `payloadBytes`; resolves with messages/s. */
export async function runCLoop(count, payloadBytes) {
  const port = await freePort();
  const { stdout } = await run(BINARY, [String(port), String(count), String(payloadBytes)], { timeout: 120_000 });
  const rate = Number(stdout.trim());
  if (!Number.isFinite(rate)) throw new Error(`bench/c/zmq-loop printed ${JSON.stringify(stdout)}`);
  return rate;
}
