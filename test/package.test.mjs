import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import * as esm from "../dist/index.js";
import { MEMORY_DRIVER, makeProject } from "./helpers/fixtures.mjs";

// require() of the package by its name (a self-reference), as a CommonJS user writes it.
const require = createRequire(import.meta.url);
const pkg = require("../package.json");

describe("the built package", () => {
  it("require() gives the very module import gives: one copy of every class", () => {
    const cjs = require(pkg.name);
    assert.equal(cjs.TransportError, esm.TransportError);
    assert.equal(cjs.SubscriberAgentBase, esm.SubscriberAgentBase);
    assert.equal(require(`${pkg.name}/testing`).until, require("../dist/testing.js").until);
  });

  it("from CommonJS, a driver's error is instanceof TransportError and its subscriber instanceof SubscriberAgentBase", async () => {
    const pubsub = require(pkg.name);
    const overrides = { publisher_transport: "ipc", publisher_bind_address: "relative.sock", pub_sub_use_multiproc: false };
    // The ZeroMQ driver is loaded by the loader with import(); the error is thrown in it.
    const err = await pubsub.loadFromConfig({ env: {}, overrides, subscriber: false }).then(
      () => assert.fail("a relative ipc path must be refused"),
      (caught) => caught,
    );
    assert.ok(err instanceof pubsub.TransportError, `${err}`);
    assert.ok(err instanceof pubsub.PubSubError);
    assert.equal(err.code, "PUBSUB_ERR_TRANSPORT");

    const loaded = await pubsub.loadFromConfig({ env: {}, overrides: { pub_sub_use_multiproc: false }, publisher: false });
    try {
      assert.ok(loaded.subscriber instanceof pubsub.SubscriberAgentBase);
    } finally {
      await loaded.close();
    }
  });

  it("loads a third-party ESM driver for a CommonJS caller", async () => {
    const pubsub = require(pkg.name);
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

  it("is ESM only, with an engines range where require(esm) needs no flag", () => {
    assert.equal(pkg.type, "module");
    assert.deepEqual(pkg.exports["."], { types: "./dist/index.d.ts", default: "./dist/index.js" });
    assert.equal(pkg.main, "./dist/index.js");
    assert.equal(pkg.engines.node, "^20.19.0 || >=22.12.0");
    assert.ok(!existsSync(new URL("../dist/index.cjs", import.meta.url)), "no second (CommonJS) copy is built");
  });

  it("declares its entry points, the pubsub-run binary and what npm shows", () => {
    assert.notEqual(pkg.name, "pubsub", "the npm name pubsub belongs to another package");
    assert.equal(pkg.bin["pubsub-run"], "./dist/cli/main.js");
    for (const driver of ["zmq", "zmq-multiproc", "redis", "nats", "etcd"]) {
      assert.equal(pkg.exports[`./drivers/${driver}`].default, `./dist/drivers/${driver}.js`);
      assert.ok(existsSync(new URL(`../dist/drivers/${driver}.js`, import.meta.url)), driver);
    }
    for (const client of ["ioredis", "nats", "etcd3"]) {
      assert.equal(pkg.peerDependenciesMeta[client].optional, true, `${client} is an optional peer`);
      assert.ok(pkg.devDependencies[client], `${client} is installed for the tests`);
      assert.equal(pkg.dependencies[client], undefined, `${client} is not a hard dependency`);
    }
    for (const file of ["../dist/index.js", "../dist/index.d.ts", "../dist/cli/main.js", "../LICENSE", "../CHANGELOG.md"]) {
      assert.ok(existsSync(new URL(file, import.meta.url)), file);
    }
    assert.equal(pkg.license, "Apache-2.0");
    assert.equal(pkg.sideEffects, false);
  });
});
