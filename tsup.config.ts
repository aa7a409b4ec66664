import { defineConfig } from "tsup";

// Keep "node:" prefixes: "node:test" has no unprefixed form.
const common = { sourcemap: true, target: "node20", platform: "node", removeNodeProtocol: false } as const;

export default defineConfig([
  {
    // The library and the modules the loader imports by specifier. One ESM build with
    // shared chunks, so a driver and the index share one copy of every class.
    ...common,
    entry: {
      index: "src/index.ts",
      "drivers/zmq": "src/drivers/zmq/network.ts",
      "drivers/zmq-multiproc": "src/drivers/zmq/multiproc.ts",
      "drivers/redis": "src/drivers/redis/index.ts",
      "drivers/nats": "src/drivers/nats/index.ts",
      "drivers/etcd": "src/drivers/etcd/index.ts",
      "db/etcd": "src/db/etcd/index.ts",
      "db/redis": "src/db/redis/index.ts",
      testing: "src/testing/index.ts",
      wire: "src/wire.ts",
      internal: "src/internal.ts",
    },
    format: ["esm"],
    dts: true,
  },
  {
    // CommonJS for require("pubsub"); drivers are always loaded with import().
    ...common,
    entry: { index: "src/index.ts" },
    format: ["cjs"],
    dts: true,
  },
  {
    ...common,
    entry: { "cli/main": "src/cli/main.ts" },
    format: ["esm"],
    // An optional dependency, imported only for readable logs (see src/cli/log.ts).
    external: ["pino-pretty"],
    banner: { js: "#!/usr/bin/env node" },
  },
]);
