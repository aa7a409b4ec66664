// The package as a user gets it: `npm pack`, the tarball installed into a new project
// (dependencies from npm's cache, else the registry), then used from ESM, from CommonJS,
// from type-checked TypeScript of both kinds, and through `npx pubsub-run check`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../", import.meta.url));
const run = promisify(execFile);

// Each script refuses a relative ipc path in the ZeroMQ driver, which the loader imports
// with import(), and reports what the caller sees of that driver's error.
const PROBE_OPTIONS = `{ env: {}, subscriber: false, overrides: { publisher_transport: "ipc", publisher_bind_address: "relative.sock", pub_sub_use_multiproc: false } }`;

const ESM_APP = `
import { PubSubError, TransportError, loadFromConfig } from "pubsub-run";
import { until } from "pubsub-run/testing";
import { decodeEvent } from "pubsub-run/wire";
const err = await loadFromConfig(${PROBE_OPTIONS}).catch((caught) => caught);
console.log(JSON.stringify({ transport: err instanceof TransportError, coded: err instanceof PubSubError, code: err.code,
  helpers: typeof until === "function" && typeof decodeEvent === "function" }));
`;

const CJS_APP = `
const { SubscriberAgentBase, TransportError, loadFromConfig } = require("pubsub-run");
const createZmqNetworkDriver = require("pubsub-run/drivers/zmq").default;
(async () => {
  const err = await loadFromConfig(${PROBE_OPTIONS}).catch((caught) => caught);
  const loaded = await loadFromConfig({ env: {}, publisher: false, overrides: { pub_sub_use_multiproc: false } });
  const subscriber = loaded.subscriber instanceof SubscriberAgentBase;
  await loaded.close();
  console.log(JSON.stringify({ transport: err instanceof TransportError, code: err.code, subscriber,
    driver: typeof createZmqNetworkDriver }));
})();
`;

const TS_ESM_APP = `
import { loadFromConfig, type LoadedPubSub, type PubSubConfig, TransportError } from "pubsub-run";
import { runConformance } from "pubsub-run/testing";
const port: PubSubConfig["publisher_port"] = 8866;
const loaded: Promise<LoadedPubSub> = loadFromConfig({ overrides: { publisher_port: port } });
export const checks = [loaded, runConformance, TransportError] as const;
`;

const TS_CJS_APP = `
import { SubscriberAgentBase, TransportError } from "pubsub-run";
export function isTransportError(err: unknown): err is TransportError {
  return err instanceof TransportError;
}
export type Base = SubscriberAgentBase;
`;

const TSCONFIG = {
  compilerOptions: {
    module: "nodenext",
    moduleResolution: "nodenext",
    target: "es2022",
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ["node"],
    typeRoots: [join(root, "node_modules/@types")],
  },
  files: ["app.mts", "app.cts"],
};

describe("the package installed from its tarball", () => {
  let project;
  before(async () => {
    project = await mkdtemp(join(tmpdir(), "pubsub-consumer-"));
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", project], { cwd: root });
    const [{ filename }] = JSON.parse(stdout);
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true }));
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", `./${filename}`], { cwd: project });
  });
  after(() => rm(project, { recursive: true, force: true }));

  it("works from ESM: a driver's error is instanceof TransportError", async () => {
    await writeFile(join(project, "app.mjs"), ESM_APP);
    const { stdout } = await run(process.execPath, ["app.mjs"], { cwd: project });
    assert.deepEqual(JSON.parse(stdout), { transport: true, coded: true, code: "PUBSUB_ERR_TRANSPORT", helpers: true });
  });

  it("works from CommonJS: require() gives the classes the ESM drivers use", async () => {
    await writeFile(join(project, "app.cjs"), CJS_APP);
    const { stdout } = await run(process.execPath, ["app.cjs"], { cwd: project });
    assert.deepEqual(JSON.parse(stdout), { transport: true, code: "PUBSUB_ERR_TRANSPORT", subscriber: true, driver: "function" });
  });

  it("type-checks from TypeScript ESM (.mts) and CommonJS (.cts) files", async () => {
    await writeFile(join(project, "app.mts"), TS_ESM_APP);
    await writeFile(join(project, "app.cts"), TS_CJS_APP);
    await writeFile(join(project, "tsconfig.json"), JSON.stringify(TSCONFIG));
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    const result = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project }).catch((err) => err);
    assert.equal(result.stdout, "", "tsc reports no error");
  });

  it("npx pubsub-run check accepts the shipped config, whose schema line points into the package", async () => {
    const shipped = join(project, "node_modules/pubsub-run/pubsub.config.yaml");
    const config = join(project, "pubsub.config.yaml");
    await copyFile(shipped, config);
    const { stdout } = await run("npx", ["--no-install", "pubsub-run", "check"], { cwd: project });
    const report = JSON.parse(stdout);
    assert.equal(report.configFile, config);
    assert.equal(report.drivers.network.module, "pubsub-run/drivers/zmq");

    const [first] = (await readFile(config, "utf8")).split("\n");
    const schemaPath = /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1];
    assert.ok(schemaPath, `first line: ${first}`);
    const schema = JSON.parse(await readFile(resolve(dirname(config), schemaPath), "utf8"));
    assert.equal(schema.properties.pub_sub_driver.default, "zmq_pubsub_driver");
  });
});
