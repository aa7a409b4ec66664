// The database side's options: Dragonflow's INI names, and the combinations that cannot work.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConfigError,
  createPublisherService,
  loadFromConfig,
  publisherUuid,
  registeredUri,
  resolveConfig,
  uuid5,
  withDefaults,
} from "../../dist/index.js";
import { makeProject } from "../helpers/fixtures.mjs";

describe("the database side's options", () => {
  it("reads Dragonflow's [df] database options from INI, with their types and defaults", async () => {
    const project = await makeProject({
      "pubsub.config.ini": `[df]
nb_db_class = etcd_nb_db_driver
remote_db_hosts = 10.0.0.2:2379, 10.0.0.3:2379
publisher_timeout = 120
publisher_rate_limit_timeout = 60
publisher_rate_limit_count = 2
monitor_table_poll_time = 10
management_ip = 10.0.0.5
`,
    });
    try {
      const { config } = await resolveConfig({ cwd: project.dir, env: {} });
      assert.equal(config.nb_db_class, "etcd_nb_db_driver");
      assert.deepEqual(config.remote_db_hosts, ["10.0.0.2:2379", "10.0.0.3:2379"]);
      assert.equal(config.publisher_timeout, 120);
      assert.equal(config.publisher_rate_limit_count, 2);
      assert.equal(config.monitor_table_poll_time, 10);
      assert.equal(config.management_ip, "10.0.0.5");
      assert.deepEqual(config.monitor_tables, ["chassis", "publisher"]);
      assert.equal(config.discover_publishers, false);
    } finally {
      await project.cleanup();
    }
  });

  it("refuses a host without a port in remote_db_hosts, naming the option", async () => {
    await assert.rejects(resolveConfig({ env: {}, overrides: ["remote_db_hosts=db.example"] }), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /remote_db_hosts/);
      return true;
    });
  });

  it("discover_publishers without nb_db_class is a config error that says what to set", async () => {
    await assert.rejects(loadFromConfig({ env: {}, overrides: ["discover_publishers=true"], publisher: false }), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^--set discover_publishers: needs a database: set nb_db_class/);
      return true;
    });
  });

  it("refuses a refresh period as long as publisher_timeout, before touching the database", async () => {
    const overrides = ["nb_db_class=etcd_nb_db_driver", "publisher_timeout=100", "publisher_rate_limit_timeout=200"];
    await assert.rejects(createPublisherService({ env: {}, overrides }), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.match(
        err.message,
        /publisher_rate_limit_timeout \/ publisher_rate_limit_count \(200 s\) must be shorter than publisher_timeout \(100 s\)/,
      );
      return true;
    });
  });

  it("an unknown nb_db_class is named with the known database drivers", async () => {
    await assert.rejects(createPublisherService({ env: {}, overrides: ["nb_db_class=etcd_nb_db_drive"] }), (err) => {
      assert.equal(err.code, "PUBSUB_ERR_UNKNOWN_DRIVER");
      assert.match(err.message, /nb_db_class: unknown driver 'etcd_nb_db_drive'; did you mean etcd_nb_db_driver\?/);
      return true;
    });
  });
});

describe("the publisher's id and uri, as Dragonflow's", () => {
  it("uuid5 gives Python's uuid.uuid5(NAMESPACE_DNS, name)", () => {
    // python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org'))"
    assert.equal(uuid5("python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  });

  it("the id stays the same across restarts and differs per port and host", () => {
    assert.equal(publisherUuid(8866, "api-1.example"), publisherUuid(8866, "api-1.example"));
    assert.notEqual(publisherUuid(8866, "api-1.example"), publisherUuid(8867, "api-1.example"));
    assert.notEqual(publisherUuid(8866, "api-1.example"), publisherUuid(8866, "api-2.example"));
    assert.equal(publisherUuid(8866, "api-1.example"), uuid5("pubsub-publisher-service-8866.api-1.example"));
  });

  it("registers management_ip when bound to * or 127.0.0.1, else the bind address", async () => {
    const at = async (options) => registeredUri(await withDefaults({ management_ip: "10.0.0.5", ...options }));
    assert.equal(await at({ publisher_bind_address: "*" }), "tcp://10.0.0.5:8866");
    assert.equal(await at({ publisher_bind_address: "127.0.0.1", publisher_port: 9000 }), "tcp://10.0.0.5:9000");
    assert.equal(await at({ publisher_bind_address: "10.1.1.1" }), "tcp://10.1.1.1:8866");
  });
});
