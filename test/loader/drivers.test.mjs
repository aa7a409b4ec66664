import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import {
  BUILTIN_DB_DRIVERS,
  BUILTIN_DRIVERS,
  ConfigError,
  DriverFactoryError,
  DriverLoadError,
  DriverNotFoundError,
  DriverShapeError,
  UnknownDriverError,
  loadFromConfig,
} from "../../dist/index.js";
import { MEMORY_DRIVER, makeProject } from "../helpers/fixtures.mjs";

/** A CommonJS driver whose agents do nothing, in the shape the contract asks for. */
const NOOP_AGENTS_CJS = `
const publisher = () => ({ async initialize() {}, async sendEvent() {}, async close() {} });
const subscriber = () => ({
  isRunning: false, initialize() {}, registerListenAddress() { return true; }, unregisterListenAddress() { return true; },
  registerTopic() { return true; }, unregisterTopic() { return true; }, async daemonize() {}, async close() {},
});
module.exports.create = () => ({ getPublisher: publisher, getSubscriber: subscriber });
`;

describe("driver resolution and dynamic import", () => {
  let project;
  const cwd = process.cwd();
  before(async () => {
    project = await makeProject({
      "drivers/memory.mjs": MEMORY_DRIVER,
      "drivers/async-factory.mjs": MEMORY_DRIVER.replace(
        "export default function createMemoryDriver",
        "export default async function createMemoryDriver",
      ),
      "drivers/noop-agents.cjs": NOOP_AGENTS_CJS,
      "drivers/commonjs.cjs": "module.exports = require('./noop-agents.cjs').create;\n",
      "drivers/bad-subscriber.mjs": "export default () => ({ getPublisher() {}, getSubscriber() { return { initialize() {} }; } });\n",
      "drivers/not-a-function.mjs": "export default { getPublisher() {}, getSubscriber() {} };\n",
      "drivers/no-default.mjs": "export const createDriver = () => ({});\n",
      "drivers/throws-on-import.mjs": "throw new Error('boom at import');\n",
      "drivers/needs-package.mjs": "import 'pubsub-missing-client-lib';\nexport default () => ({});\n",
      "drivers/factory-throws.mjs": "export default () => { throw new Error('no transport here'); };\n",
      "drivers/factory-coded.mjs": `import { ConfigError } from ${JSON.stringify(pathToFileURL(join(cwd, "dist/index.js")).href)};\nexport default () => { throw new ConfigError("my_driver: bad option"); };\n`,
      "drivers/bad-api.mjs": "export default () => ({ getPublisher() {} });\n",
      "drivers/bad-description.mjs":
        "export default () => ({ getPublisher() {}, getSubscriber() {}, description: { topology: 'mesh' } });\n",
      "node_modules/pubsub-driver-fixture/package.json": JSON.stringify({
        name: "pubsub-driver-fixture",
        type: "module",
        exports: { ".": "./index.js" },
      }),
      "node_modules/pubsub-driver-fixture/index.js": 'export { default } from "../../drivers/memory.mjs";\n',
      "node_modules/@acme/pubsub-driver/package.json": JSON.stringify({ name: "@acme/pubsub-driver", main: "main.cjs" }),
      "node_modules/@acme/pubsub-driver/main.cjs": "exports.default = require('../../../drivers/noop-agents.cjs').create;\n",
    });
    process.chdir(project.dir); // error messages show paths relative to the working directory
  });
  after(async () => {
    process.chdir(cwd);
    await project.cleanup();
  });

  /** Loads with `pub_sub_driver` set to `driver` and no publisher (network driver only). */
  function load(driver, extra = []) {
    return loadFromConfig({
      env: {},
      overrides: [`pub_sub_driver=${driver}`, ...extra],
      publisher: false,
      logger: silent,
    });
  }

  it("registers the ZeroMQ, Redis, NATS and etcd aliases (and Dragonflow's Redis alias) in a frozen registry", () => {
    assert.deepEqual(Object.keys(BUILTIN_DRIVERS), [
      "zmq_pubsub_driver",
      "zmq_pubsub_multiproc_driver",
      "redis_pubsub_driver",
      "nats_pubsub_driver",
      "etcd_pubsub_driver",
      "redis_db_pubsub_driver",
    ]);
    assert.equal(BUILTIN_DRIVERS.redis_db_pubsub_driver, BUILTIN_DRIVERS.redis_pubsub_driver);
    assert.ok(Object.isFrozen(BUILTIN_DRIVERS));
  });

  it("registers the etcd and Redis database drivers in a frozen registry of their own", () => {
    assert.deepEqual(Object.keys(BUILTIN_DB_DRIVERS), ["etcd_nb_db_driver", "redis_nb_db_driver"]);
    assert.ok(Object.isFrozen(BUILTIN_DB_DRIVERS));
  });

  it("loads a third-party driver by relative path and passes it the config and role", async () => {
    globalThis.__memoryDriverCalls = [];
    const pubsub = await load("./drivers/memory.mjs", ["publisher_port=9300"]);
    await pubsub.close();
    assert.equal(globalThis.__memoryDriverCalls.length, 1);
    assert.equal(globalThis.__memoryDriverCalls[0].role, "network");
    assert.equal(globalThis.__memoryDriverCalls[0].config.publisher_port, 9300);
  });

  it("resolves a relative path against the config file's folder, not the working directory", async () => {
    const { writeFile, mkdir } = await import("node:fs/promises");
    await mkdir(join(project.dir, "etc"), { recursive: true });
    await writeFile(join(project.dir, "etc", "pubsub.yaml"), "pub_sub_driver: ../drivers/memory.mjs\n");
    globalThis.__memoryDriverCalls = [];
    const pubsub = await loadFromConfig({ env: {}, configPath: "etc/pubsub.yaml", publisher: false, logger: silent });
    await pubsub.close();
    assert.equal(globalThis.__memoryDriverCalls.length, 1);
  });

  it("loads by absolute path and by file: URL", async () => {
    const file = join(project.dir, "drivers", "memory.mjs");
    for (const name of [file, pathToFileURL(file).href]) {
      const pubsub = await load(name);
      assert.ok(pubsub.subscriber);
      await pubsub.close();
    }
  });

  it("loads through a user alias from the drivers map", async () => {
    globalThis.__memoryDriverCalls = [];
    const pubsub = await load("mem", ["drivers.mem=./drivers/memory.mjs"]);
    await pubsub.close();
    assert.equal(globalThis.__memoryDriverCalls.length, 1);
  });

  it("loads an npm package installed beside the config, ESM or CommonJS", async () => {
    for (const name of ["pubsub-driver-fixture", "@acme/pubsub-driver"]) {
      const pubsub = await load(name, ["publishers=noop://1"]);
      assert.ok(pubsub.subscriber, name);
      await pubsub.close();
    }
  });

  it("accepts an async factory and a CommonJS module.exports factory", async () => {
    for (const name of ["./drivers/async-factory.mjs", "./drivers/commonjs.cjs"]) {
      const pubsub = await load(name, ["publishers=noop://1"]);
      assert.ok(pubsub.subscriber, name);
      await pubsub.close();
    }
  });

  it("a driver that describes itself gives the default listen addresses; one that does not needs publishers", async () => {
    const described = await load("./drivers/memory.mjs");
    assert.deepEqual(described.config.publishers, ["memory://bus"]);
    assert.deepEqual(described.drivers.network, {
      topology: "broker",
      address: "memory",
      listenAddresses: ["memory://bus"],
      linger: { option: "memory.linger_ms", ms: 0 },
    });
    await described.close();
    await assert.rejects(load("./drivers/commonjs.cjs"), {
      name: "ConfigError",
      message:
        "--set pub_sub_driver: publishers: not set, and pub_sub_driver './drivers/commonjs.cjs' names no default listen address; set publishers to the addresses its subscribers connect to",
    });
  });

  it("a description of the wrong shape: DriverShapeError naming what it needs", async () => {
    await assert.rejects(load("./drivers/bad-description.mjs"), (err) => {
      assert.ok(err instanceof DriverShapeError, String(err));
      assert.match(
        err.message,
        /returned a description that is object with keys topology; it needs topology \("bind" or "broker"\), address, listenAddresses and linger \{ option, ms \}$/,
      );
      return true;
    });
  });

  it("unknown alias: lists the known ones and suggests the nearest", async () => {
    await assert.rejects(load("zmq_pubsub_drivr"), (err) => {
      assert.ok(err instanceof UnknownDriverError);
      assert.equal(err.code, "PUBSUB_ERR_UNKNOWN_DRIVER");
      assert.equal(
        err.message,
        "--set pub_sub_driver: pub_sub_driver: unknown driver 'zmq_pubsub_drivr'; did you mean zmq_pubsub_driver? " +
          "known: zmq_pubsub_driver, zmq_pubsub_multiproc_driver, redis_pubsub_driver, nats_pubsub_driver, etcd_pubsub_driver, redis_db_pubsub_driver (or give a module path, or install an npm package of that name)",
      );
      return true;
    });
  });

  it("unknown alias from the file names the file, and lists user aliases too", async () => {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(project.dir, "pubsub.config.yaml"), "pub_sub_driver: redis\ndrivers:\n  mem: ./drivers/memory.mjs\n");
    try {
      await assert.rejects(loadFromConfig({ env: {}, publisher: false, logger: silent }), {
        name: "UnknownDriverError",
        message:
          /^pubsub\.config\.yaml: pub_sub_driver: unknown driver 'redis'; known: zmq_pubsub_driver, zmq_pubsub_multiproc_driver, redis_pubsub_driver, nats_pubsub_driver, etcd_pubsub_driver, redis_db_pubsub_driver, mem[; ]/,
      });
    } finally {
      const { rm } = await import("node:fs/promises");
      await rm(join(project.dir, "pubsub.config.yaml"));
    }
  });

  it("missing module path: says which specifier and where it looked", async () => {
    await assert.rejects(load("./drivers/nope.mjs"), (err) => {
      assert.ok(err instanceof DriverNotFoundError);
      assert.equal(err.code, "PUBSUB_ERR_DRIVER_NOT_FOUND");
      assert.equal(
        err.message,
        "--set pub_sub_driver: pub_sub_driver: driver module './drivers/nope.mjs' not found (looked for drivers/nope.mjs); fix the path, relative to the config file",
      );
      return true;
    });
  });

  it("missing scoped package: says how to install it", async () => {
    await assert.rejects(load("@acme/not-installed"), (err) => {
      assert.ok(err instanceof DriverNotFoundError);
      assert.match(
        err.message,
        /driver package '@acme\/not-installed' is not installed \(searched from .*\); install it with: npm install @acme\/not-installed$/,
      );
      return true;
    });
  });

  it("missing unscoped package: says how to install it, as for a scoped one", async () => {
    await assert.rejects(load("some-pkg"), (err) => {
      assert.ok(err instanceof UnknownDriverError);
      assert.equal(
        err.message,
        "--set pub_sub_driver: pub_sub_driver: unknown driver 'some-pkg'; known: zmq_pubsub_driver, zmq_pubsub_multiproc_driver, redis_pubsub_driver, nats_pubsub_driver, etcd_pubsub_driver, redis_db_pubsub_driver; " +
          `no package 'some-pkg' is installed either (searched from ${project.dir}): install it with: npm install some-pkg, or give a module path`,
      );
      return true;
    });
  });

  it("a name npm would refuse gets no install command", async () => {
    await assert.rejects(load("My_Driver"), {
      name: "UnknownDriverError",
      message:
        /unknown driver 'My_Driver'; known: zmq_pubsub_driver, zmq_pubsub_multiproc_driver, redis_pubsub_driver, nats_pubsub_driver, etcd_pubsub_driver, redis_db_pubsub_driver \(or give a module path, or install an npm package of that name\)$/,
    });
  });

  it("a package the driver needs is missing: names it with the install command", async () => {
    await assert.rejects(load("./drivers/needs-package.mjs"), (err) => {
      assert.ok(err instanceof DriverLoadError);
      assert.equal(err.code, "PUBSUB_ERR_DRIVER_LOAD");
      assert.match(
        err.message,
        /needs the package 'pubsub-missing-client-lib', which is not installed; install it with: npm install pubsub-missing-client-lib$/,
      );
      return true;
    });
  });

  it("a module that throws on import: DriverLoadError with the cause", async () => {
    await assert.rejects(load("./drivers/throws-on-import.mjs"), (err) => {
      assert.ok(err instanceof DriverLoadError);
      assert.match(err.message, /driver module '\.\/drivers\/throws-on-import\.mjs' failed to load: boom at import$/);
      assert.equal(err.cause.message, "boom at import");
      return true;
    });
  });

  it("default export not a function: says what was received", async () => {
    await assert.rejects(load("./drivers/not-a-function.mjs"), (err) => {
      assert.ok(err instanceof DriverShapeError);
      assert.equal(err.code, "PUBSUB_ERR_DRIVER_SHAPE");
      assert.match(
        err.message,
        /default export is not a function: received object with keys getPublisher, getSubscriber; export default a factory/,
      );
      return true;
    });
  });

  it("no default export: lists the exports there are", async () => {
    await assert.rejects(load("./drivers/no-default.mjs"), {
      name: "DriverShapeError",
      message: /driver module '\.\/drivers\/no-default\.mjs' has no default export \(exports: createDriver\)/,
    });
  });

  it("factory throws: DriverFactoryError wrapping the cause", async () => {
    await assert.rejects(load("./drivers/factory-throws.mjs"), (err) => {
      assert.ok(err instanceof DriverFactoryError);
      assert.equal(err.code, "PUBSUB_ERR_DRIVER_FACTORY");
      assert.match(err.message, /driver factory of '\.\/drivers\/factory-throws\.mjs' threw: no transport here$/);
      assert.equal(err.cause.message, "no transport here");
      return true;
    });
  });

  it("factory throws a coded error: it passes through unchanged", async () => {
    await assert.rejects(load("./drivers/factory-coded.mjs"), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, "my_driver: bad option");
      return true;
    });
  });

  it("an agent of the wrong shape: names the missing methods", async () => {
    await assert.rejects(load("./drivers/bad-subscriber.mjs"), {
      name: "DriverShapeError",
      message:
        /getSubscriber\(\) of '\.\/drivers\/bad-subscriber\.mjs' returned an object without registerListenAddress, .*daemonize, close$/,
    });
  });

  it("factory returns the wrong shape: names the missing method", async () => {
    await assert.rejects(load("./drivers/bad-api.mjs"), {
      name: "DriverShapeError",
      message: /returned object with keys getPublisher, without getSubscriber; it must return \{ getPublisher\(\), getSubscriber\(\) \}$/,
    });
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };
