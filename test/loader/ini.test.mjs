import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, resolveConfig } from "../../dist/index.js";
import { makeProject } from "../helpers/fixtures.mjs";

async function load(content, file = "pubsub.config.ini") {
  const project = await makeProject({ [file]: content });
  const cwd = process.cwd();
  process.chdir(project.dir); // error messages show paths relative to the working directory
  try {
    return (await resolveConfig({ env: {} })).config;
  } finally {
    process.chdir(cwd);
    await project.cleanup();
  }
}

describe("INI configs", () => {
  it("loads a Dragonflow-style [df] section, with types coerced by the schema", async () => {
    const config = await load(`# Dragonflow pub/sub options
[df]
pub_sub_driver = zmq_pubsub_driver
publisher_port = 9200
publisher_transport = tcp
publisher_bind_address = *
pub_sub_use_multiproc = False
publisher_multiproc_socket = /var/run/zmq_pubsub/zmq-publisher-socket
`);
    assert.equal(config.publisher_port, 9200);
    assert.equal(typeof config.publisher_port, "number");
    assert.equal(config.pub_sub_use_multiproc, false);
    assert.equal(config.publisher_bind_address, "*");
    assert.equal(config.publisher_multiproc_socket, "/var/run/zmq_pubsub/zmq-publisher-socket");
  });

  it("reads true/false in any case and lists as comma-separated values", async () => {
    const config = await load("pub_sub_use_multiproc = TRUE\npublishers = tcp://10.0.0.1:8866, tcp://10.0.0.2:8866\ntopics = D,tenant-a\n");
    assert.equal(config.pub_sub_use_multiproc, true);
    assert.deepEqual(config.publishers, ["tcp://10.0.0.1:8866", "tcp://10.0.0.2:8866"]);
    assert.deepEqual(config.topics, ["D", "tenant-a"]);
  });

  it("reads options at the top level and in [pubsub], [pubsub] winning over [df]", async () => {
    const config = await load("publisher_transport = tcp\n[df]\npublisher_port = 1111\n[pubsub]\npublisher_port = 2222\n");
    assert.equal(config.publisher_port, 2222);
    assert.equal(config.publisher_transport, "tcp");
  });

  it("reads user driver aliases from a [drivers] section", async () => {
    const config = await load("[drivers]\nmine = ./my-driver.mjs\n");
    assert.deepEqual(config.drivers, { mine: "./my-driver.mjs" });
  });

  it("rejects an unknown option inside [df], naming the file and suggesting the option", async () => {
    await assert.rejects(load("[df]\npublisher_prot = 9200\n"), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, "pubsub.config.ini: publisher_prot: unknown option; did you mean publisher_port?");
      return true;
    });
  });

  it("rejects an unknown section", async () => {
    await assert.rejects(load("[df_l2_app]\nl2_responder = True\n"), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^pubsub\.config\.ini: df_l2_app: unknown option; /);
      return true;
    });
  });

  it("reports a value the schema cannot coerce", async () => {
    await assert.rejects(load("[df]\npublisher_port = eighty\n"), {
      message: 'pubsub.config.ini: publisher_port: must be an integer (got "eighty")',
    });
  });
});
