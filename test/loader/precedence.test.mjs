import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConfigError, envVarName, resolveConfig } from "../../dist/index.js";
import { makeProject } from "../helpers/fixtures.mjs";

describe("precedence: overrides > PUBSUB_<OPTION> env > file > defaults", () => {
  let project;
  before(async () => {
    project = await makeProject({
      "pubsub.config.yaml": "publisher_port: 1000\npublisher_transport: tcp\npublisher_bind_address: 127.0.0.1\ndrivers:\n  a: ./a.mjs\n",
    });
  });
  after(() => project.cleanup());

  const resolve = (env, overrides) => resolveConfig({ cwd: project.dir, env, overrides });

  it("names env vars PUBSUB_ plus the option in upper case", () => {
    assert.equal(envVarName("publisher_port"), "PUBSUB_PUBLISHER_PORT");
  });

  it("sets nested options from PUBSUB_<SECTION>_<OPTION>, over the section's JSON, naming the variable when invalid", async () => {
    assert.equal(envVarName("redis.tls.ca_file"), "PUBSUB_REDIS_TLS_CA_FILE");
    const { config } = await resolve({
      PUBSUB_REDIS: '{"url":"redis://10.0.0.1:6379","linger_ms":7}',
      PUBSUB_REDIS_URL: "redis://10.0.0.2:6380",
      PUBSUB_ZMQ_LINGER_MS: "1234",
      PUBSUB_REDIS_TLS_SERVERNAME: "example.test",
    });
    assert.equal(config.redis.url, "redis://10.0.0.2:6380");
    assert.equal(config.redis.linger_ms, 7);
    assert.equal(config.zmq.linger_ms, 1234);
    assert.equal(config.redis.tls.servername, "example.test");
    await assert.rejects(resolve({ PUBSUB_ZMQ_LINGER_MS: "soon" }), {
      name: "ConfigError",
      message: 'PUBSUB_ZMQ_LINGER_MS: zmq.linger_ms: must be an integer (got "soon")',
    });
  });

  it("takes the file over the defaults", async () => {
    const { config } = await resolve({});
    assert.equal(config.publisher_port, 1000);
    assert.equal(config.pub_sub_use_multiproc, true);
  });

  it("takes env vars over the file, coercing their text", async () => {
    const { config } = await resolve({ PUBSUB_PUBLISHER_PORT: "2000", PUBSUB_PUB_SUB_USE_MULTIPROC: "false" });
    assert.equal(config.publisher_port, 2000);
    assert.equal(config.pub_sub_use_multiproc, false);
  });

  it("takes --set over env vars and the file", async () => {
    const { config } = await resolve({ PUBSUB_PUBLISHER_PORT: "2000" }, ["publisher_port=3000"]);
    assert.equal(config.publisher_port, 3000);
  });

  it("takes an overrides object over env vars", async () => {
    const { config } = await resolve({ PUBSUB_PUBLISHER_PORT: "2000" }, { publisher_port: 4000 });
    assert.equal(config.publisher_port, 4000);
  });

  it("reads lists from env vars and --set as comma-separated or JSON", async () => {
    const { config } = await resolve({ PUBSUB_TOPICS: "D, t1" }, ['publishers=["tcp://h1:1","tcp://h2:2"]']);
    assert.deepEqual(config.topics, ["D", "t1"]);
    assert.deepEqual(config.publishers, ["tcp://h1:1", "tcp://h2:2"]);
  });

  it("merges maps key by key: --set drivers.b keeps the file's drivers.a", async () => {
    const { config } = await resolve({}, ["drivers.b=./b.mjs"]);
    assert.deepEqual(config.drivers, { a: "./a.mjs", b: "./b.mjs" });
  });

  it("ignores PUBSUB_ variables that name no option (they belong to other tools)", async () => {
    const { config } = await resolve({ PUBSUB_EMULATOR_HOST: "localhost:8085", PUBSUB_PROJECT_ID: "p" });
    assert.equal(config.publisher_port, 1000);
  });

  it("names the env var when its value is invalid", async () => {
    await assert.rejects(resolve({ PUBSUB_PUBLISHER_PORT: "99999" }), {
      message: "PUBSUB_PUBLISHER_PORT: publisher_port: must be <= 65535 (got 99999)",
    });
  });

  it("names --set when its value is invalid", async () => {
    await assert.rejects(resolve({}, ["publisher_port=0"]), {
      message: "--set publisher_port: publisher_port: must be >= 1 (got 0)",
    });
  });

  it("names --set for an unknown option and suggests the nearest", async () => {
    await assert.rejects(resolve({}, ["topic=D"]), {
      message: "--set topic: topic: unknown option; did you mean topics?",
    });
  });

  it("rejects a --set without '='", async () => {
    await assert.rejects(resolve({}, ["publisher_port"]), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, '--set "publisher_port": expected key=value, e.g. --set publisher_port=8866');
      return true;
    });
  });
});
