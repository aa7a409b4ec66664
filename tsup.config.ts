import { defineConfig } from "tsup";

/** The package's entry points, each one an `exports` subpath of package.json. */
const library = {
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
};

// ESM only: one build with shared chunks, so the CLI, the index and every driver share
// one copy of every class (`instanceof` holds across them). CommonJS users load the same
// files with require(esm), unflagged from Node 20.19 and 22.12: package.json's "engines".
// The CLI's hashbang is the first line of src/cli/main.ts (esbuild keeps an entry's).
export default defineConfig({
  entry: { ...library, "cli/main": "src/cli/main.ts" },
  format: ["esm"],
  dts: { entry: library },
  sourcemap: true,
  target: "node20",
  platform: "node",
  // Keep "node:" prefixes: "node:test" has no unprefixed form.
  removeNodeProtocol: false,
  // An optional dependency, imported only for readable logs (see src/cli/log.ts).
  external: ["pino-pretty"],
});
