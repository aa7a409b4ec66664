import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { MEMORY_DRIVER, makeProject } from "./helpers/fixtures.mjs";

const require = createRequire(import.meta.url);

describe("the built package", () => {
  it("loads from CommonJS with require() and imports ESM drivers from there", async () => {
    const pubsub = require("../dist/index.cjs");
    assert.equal(typeof pubsub.loadFromConfig, "function");
    const project = await makeProject({ "memory.mjs": MEMORY_DRIVER });
    try {
      const loaded = await pubsub.loadFromConfig({
        cwd: project.dir,
        env: {},
        overrides: { pub_sub_driver: "./memory.mjs" },
        publisher: false,
      });
      assert.deepEqual(loaded.subscriber.topics, ["D"]);
      await loaded.close();
    } finally {
      await project.cleanup();
    }
  });

  it("declares ESM, CommonJS and type entry points and the pubsub-run binary", () => {
    const pkg = require("../package.json");
    assert.equal(pkg.exports["."].import.types, "./dist/index.d.ts");
    assert.equal(pkg.exports["."].require.default, "./dist/index.cjs");
    assert.equal(pkg.bin["pubsub-run"], "./dist/cli/main.js");
    for (const driver of ["zmq", "zmq-multiproc", "redis", "nats"]) {
      assert.equal(pkg.exports[`./drivers/${driver}`].default, `./dist/drivers/${driver}.js`);
      assert.ok(require("node:fs").existsSync(new URL(`../dist/drivers/${driver}.js`, import.meta.url)), driver);
    }
    for (const client of ["ioredis", "nats"]) {
      assert.equal(pkg.peerDependenciesMeta[client].optional, true, `${client} is an optional peer`);
      assert.ok(pkg.devDependencies[client], `${client} is installed for the tests`);
      assert.equal(pkg.dependencies[client], undefined, `${client} is not a hard dependency`);
    }
    for (const file of ["../dist/index.js", "../dist/index.cjs", "../dist/index.d.ts", "../dist/index.d.cts", "../dist/cli/main.js"]) {
      assert.ok(require("node:fs").existsSync(new URL(file, import.meta.url)), file);
    }
  });
});
