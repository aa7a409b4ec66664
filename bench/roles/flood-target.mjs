// A network publisher (ours, loadFromConfig, no multiproc) that a peer floods with
// subscriptions: on "measure" it reports its RSS, after a GC, and the warnings it
// logged so far.
import { loadFromConfig } from "../../dist/index.js";
import { closeWith, on, options, report } from "./role.mjs";

const { port, overrides = {} } = options;
const warnings = [];
const logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (_obj, msg) => void warnings.push(msg),
  error: (_obj, msg) => void warnings.push(msg),
};
const loaded = await loadFromConfig({
  env: {},
  subscriber: false,
  logger,
  overrides: {
    pub_sub_driver: "zmq_pubsub_driver",
    pub_sub_use_multiproc: false,
    publisher_transport: "tcp",
    publisher_bind_address: "127.0.0.1",
    publisher_port: port,
    ...overrides,
  },
});

on("measure", () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  report({ type: "rss", rss: m.rss, heapTotal: m.heapTotal, resets: loaded.publisher.subscriptionResets, warnings: [...warnings] });
});
closeWith(() => loaded.close());
report({ type: "ready" });
