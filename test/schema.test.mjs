import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { Ajv } from "ajv";
import { cosmiconfig } from "cosmiconfig";
import { BUILTIN_DB_DRIVERS, BUILTIN_DRIVERS, configSchema, optionNames } from "../dist/index.js";

const readJson = async (path) => JSON.parse(await readFile(new URL(path, import.meta.url), "utf8"));

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

  it("ajv with the published schema accepts the shipped pubsub.config.yaml", async () => {
    const schema = await readJson("../schema/pubsub.schema.json");
    const file = new URL("../pubsub.config.yaml", import.meta.url).pathname;
    const { config } = await cosmiconfig("pubsub").load(file);
    const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
    assert.ok(validate(config), JSON.stringify(validate.errors));
    assert.ok(!validate({ ...config, publisher_port: 70000 }), "and it does check");
  });

  it("the shipped config's first line points editors at the schema inside the installed package", async () => {
    const text = await readFile(new URL("../pubsub.config.yaml", import.meta.url), "utf8");
    const pkg = await readJson("../package.json");
    assert.equal(text.split("\n")[0], `# yaml-language-server: $schema=./node_modules/${pkg.name}/schema/pubsub.schema.json`);
    assert.equal(pkg.exports["./schema/pubsub.schema.json"], "./schema/pubsub.schema.json");
    assert.ok(pkg.files.includes("schema"));
  });

  it("offers the built-in driver aliases for completion and still takes paths and packages", async () => {
    const schema = await readJson("../schema/pubsub.schema.json");
    const aliases = (name) => schema.properties[name].anyOf.find((branch) => branch.enum).enum;
    assert.deepEqual(aliases("pub_sub_driver"), Object.keys(BUILTIN_DRIVERS));
    assert.deepEqual(aliases("pub_sub_multiproc_driver"), Object.keys(BUILTIN_DRIVERS));
    assert.deepEqual(aliases("nb_db_class"), ["", ...Object.keys(BUILTIN_DB_DRIVERS)]);
    const validate = new Ajv({ strict: true }).compile(schema);
    for (const driver of ["redis_pubsub_driver", "./drivers/tcp-driver.mjs", "@acme/pubsub-driver"]) {
      assert.ok(validate({ pub_sub_driver: driver, nb_db_class: driver }), driver);
    }
  });

  it("every example in the schema is valid for its option", async () => {
    const schema = await readJson("../schema/pubsub.schema.json");
    const validate = new Ajv({ strict: true }).compile(schema);
    let count = 0;
    for (const [name, node] of Object.entries(schema.properties)) {
      const sections = node.properties === undefined ? [] : Object.entries(node.properties).map(([key, child]) => [[name, key], child]);
      for (const [path, option] of [[[name], node], ...sections]) {
        for (const example of option.examples ?? []) {
          const config = path.length === 1 ? { [path[0]]: example } : { [path[0]]: { [path[1]]: example } };
          assert.ok(validate(config), `${path.join(".")}: ${JSON.stringify(example)}: ${JSON.stringify(validate.errors)}`);
          count += 1;
        }
      }
    }
    assert.ok(count >= 10, `${count} examples`);
  });
});
