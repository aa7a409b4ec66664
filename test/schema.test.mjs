import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { configSchema, optionNames } from "../dist/index.js";

describe("the config schema", () => {
  it("documents the seven Dragonflow options with their documented defaults", () => {
    const defaults = Object.fromEntries(optionNames.map((name) => [name, configSchema.properties[name].default]));
    assert.equal(defaults.pub_sub_driver, "zmq_pubsub_driver");
    assert.equal(defaults.pub_sub_multiproc_driver, "zmq_pubsub_multiproc_driver");
    assert.equal(defaults.publisher_port, 8866);
    assert.equal(defaults.publisher_transport, "tcp");
    assert.equal(defaults.publisher_bind_address, "*");
    assert.equal(defaults.pub_sub_use_multiproc, true);
    assert.ok("publisher_multiproc_socket" in configSchema.properties);
  });

  it("gives every option a description", () => {
    for (const name of optionNames) assert.ok(configSchema.properties[name].description, name);
  });

  it("the TypeScript config type is generated from it and up to date", async () => {
    const script = new URL("../scripts/gen-config-types.mjs", import.meta.url).pathname;
    await promisify(execFile)(process.execPath, [script, "--check"]);
  });

  it("the README's options table lists every option", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    for (const name of optionNames) assert.match(readme, new RegExp(`^\\| \`${name}\` \\|`, "m"), name);
  });

  it("the commented default config lists every option", async () => {
    const text = await readFile(new URL("../pubsub.config.yaml", import.meta.url), "utf8");
    for (const name of optionNames) assert.match(text, new RegExp(`^#? ?${name}:`, "m"), name);
  });
});
