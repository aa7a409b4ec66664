// Temporary project folders with config files and driver modules, for loader and CLI tests.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Changes, until } from "../../dist/testing.js";

/** File URL of the built package entry, for driver modules written into temp folders. */
export const DIST_URL = pathToFileURL(new URL("../../dist/index.js", import.meta.url).pathname).href;

/**
 * Makes a temporary project: a folder with a package.json (the root the config search
 * stops at) and the given files. Returns its path and a cleanup function.
 */
export async function makeProject(files = {}) {
  const dir = await mkdtemp(join(tmpdir(), "pubsub-test-"));
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "fixture", private: true }));
  for (const [name, content] of Object.entries(files)) {
    const file = join(dir, name);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Source of a small third-party driver that moves events in memory, within one process.
 * It records each factory call in `globalThis.__memoryDriverCalls`, and each publisher
 * in `globalThis.__memoryPublishers`, so tests can see what the loader did.
 */
export const MEMORY_DRIVER = `
import { SubscriberAgentBase, resolveTopic } from ${JSON.stringify(DIST_URL)};

const subscribers = (globalThis.__memoryBus ??= new Set());

class MemoryPublisher {
  initialized = false;
  closed = false;
  constructor(role) { this.role = role; }
  async initialize() { this.initialized = true; }
  async sendEvent(update, topic) {
    const event = { ...update, topic: resolveTopic(update, topic) };
    for (const subscriber of subscribers) subscriber.deliver(event);
  }
  async close() { this.closed = true; }
}

class MemorySubscriber extends SubscriberAgentBase {
  closed = false;
  async start() { subscribers.add(this); }
  async stop() { subscribers.delete(this); this.closed = true; }
  onListenAddressAdded() {}
  onListenAddressRemoved() {}
  onTopicAdded() {}
  onTopicRemoved() {}
  deliver(event) { this.dispatch(event); }
}

export default function createMemoryDriver(config, context) {
  (globalThis.__memoryDriverCalls ??= []).push({ role: context.role, config });
  return {
    getPublisher: () => {
      const publisher = new MemoryPublisher(context.role);
      (globalThis.__memoryPublishers ??= []).push(publisher);
      return publisher;
    },
    getSubscriber: () => new MemorySubscriber({ logger: context.logger }),
    description: { topology: "broker", address: "memory", listenAddresses: ["memory://bus"], linger: { option: "memory.linger_ms", ms: 0 } },
  };
}
`;

/**
 * A logger that records records instead of printing them. `until(test, what)` resolves
 * once `test(records)` holds, checked on every record (fails after 15 s naming `what`).
 */
export function recordingLogger() {
  const records = [];
  const logged = new Changes();
  const at = (level) => (obj, msg) => {
    records.push({ level, obj, msg });
    logged.notify();
  };
  const status = () => `logged: ${records.map((r) => `${r.level} ${r.msg}`).join(" | ")}`;
  return {
    records,
    until: (test, what) => until(() => test(records), what, { changes: logged, status }),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}

/**
 * Turns the event loop (setImmediate, no timer) until `test()` holds, for states that
 * change in promise callbacks and notify nothing (a handler's promise settled, a
 * subscriber closed by an abort); fails after 1000 turns.
 */
export async function afterTurns(test) {
  for (let i = 0; i < 1000 && !test(); i += 1) await new Promise((resolve) => setImmediate(resolve));
  if (!test()) throw new Error(`not reached after 1000 event-loop turns: ${test}`);
}

/** `db` (a database driver) once initialised; when initialize() fails, closed and the error rethrown. */
export async function initialized(db) {
  try {
    await db.initialize();
    return db;
  } catch (err) {
    await db.close();
    throw err;
  }
}
