import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigNotFoundError, ConfigSyntaxError, createStderrLogger, loadFromConfig, resolveConfig } from "../../dist/index.js";
import { makeProject } from "../helpers/fixtures.mjs";

const quietLogger = createStderrLogger("silent");

const NO_ENV = {};

describe("config search places and formats", () => {
  const cases = [
    ["pubsub.config.yaml", "publisher_port: 9101\n"],
    ["pubsub.config.yml", "publisher_port: 9102\n"],
    ["pubsub.config.json", '{"publisher_port": 9103}'],
    ["pubsub.config.ini", "publisher_port = 9104\n"],
    [".pubsubrc", "publisher_port: 9105\n"],
    [".pubsubrc.json", '{"publisher_port": 9106}'],
    [".pubsubrc.yaml", "publisher_port: 9107\n"],
    [".pubsubrc.yml", "publisher_port: 9108\n"],
    [".pubsubrc.ini", "[df]\npublisher_port = 9109\n"],
  ];
  for (const [file, content] of cases) {
    it(`finds and parses ${file}`, async () => {
      const project = await makeProject({ [file]: content });
      try {
        const { config, filepath } = await resolveConfig({ cwd: project.dir, env: NO_ENV });
        assert.equal(filepath, join(project.dir, file));
        assert.equal(config.publisher_port, Number(content.match(/\d+/)[0]));
      } finally {
        await project.cleanup();
      }
    });
  }

  it("reads the pubsub key of package.json", async () => {
    const project = await makeProject();
    try {
      const { writeFile } = await import("node:fs/promises");
      await writeFile(join(project.dir, "package.json"), JSON.stringify({ name: "x", pubsub: { publisher_port: 9110 } }));
      const { config, filepath } = await resolveConfig({ cwd: project.dir, env: NO_ENV });
      assert.equal(filepath, join(project.dir, "package.json"));
      assert.equal(config.publisher_port, 9110);
    } finally {
      await project.cleanup();
    }
  });

  it("searches upwards from a subfolder to the project root", async () => {
    const project = await makeProject({ "pubsub.config.yaml": "publisher_port: 9111\n" });
    try {
      const deep = join(project.dir, "a", "b");
      await mkdir(deep, { recursive: true });
      const { config, baseDir } = await resolveConfig({ cwd: deep, env: NO_ENV });
      assert.equal(config.publisher_port, 9111);
      assert.equal(baseDir, project.dir);
    } finally {
      await project.cleanup();
    }
  });

  it("stops at the project root: a config above it is not used", async () => {
    const outer = await makeProject({ "pubsub.config.yaml": "publisher_port: 9112\n" });
    try {
      const inner = join(outer.dir, "inner");
      await mkdir(inner);
      const { writeFile } = await import("node:fs/promises");
      await writeFile(join(inner, "package.json"), "{}");
      const { config, filepath } = await resolveConfig({ cwd: inner, env: NO_ENV });
      assert.equal(filepath, null);
      assert.equal(config.publisher_port, 8866);
    } finally {
      await outer.cleanup();
    }
  });

  it("loads an explicit path in any folder, relative to cwd", async () => {
    const project = await makeProject({ "conf/custom.yaml": "publisher_port: 9113\n", "pubsub.config.yaml": "publisher_port: 1\n" });
    try {
      const { config, filepath, baseDir } = await resolveConfig({ cwd: project.dir, configPath: "conf/custom.yaml", env: NO_ENV });
      assert.equal(config.publisher_port, 9113);
      assert.equal(filepath, join(project.dir, "conf", "custom.yaml"));
      assert.equal(baseDir, join(project.dir, "conf"));
    } finally {
      await project.cleanup();
    }
  });

  it("fails with PUBSUB_ERR_CONFIG_NOT_FOUND for a missing explicit path", async () => {
    const project = await makeProject();
    try {
      await assert.rejects(resolveConfig({ cwd: project.dir, configPath: "missing.yaml", env: NO_ENV }), (err) => {
        assert.ok(err instanceof ConfigNotFoundError);
        assert.equal(err.code, "PUBSUB_ERR_CONFIG_NOT_FOUND");
        assert.match(err.message, /missing\.yaml: no such config file; check the --config path/);
        return true;
      });
    } finally {
      await project.cleanup();
    }
  });

  it("applies the schema defaults when there is no file, or an empty one", async () => {
    for (const files of [{}, { "pubsub.config.yaml": "" }]) {
      const project = await makeProject(files);
      try {
        const { config } = await resolveConfig({ cwd: project.dir, env: NO_ENV });
        assert.deepEqual(
          { ...config, publisher_multiproc_socket: undefined },
          {
            pub_sub_driver: "zmq_pubsub_driver",
            pub_sub_multiproc_driver: "zmq_pubsub_multiproc_driver",
            publisher_port: 8866,
            publisher_transport: "tcp",
            publisher_bind_address: "*",
            publisher_multiproc_socket: undefined,
            publisher_multiproc_socket_mode: "0600",
            publisher_multiproc_socket_group: "",
            pub_sub_use_multiproc: true,
            topics: ["D"],
            subscriber_concurrency: 1,
            publisher_queue_size: 1_048_576,
            subscriber_queue_size: 1000,
            drivers: {},
            nb_db_class: "",
            remote_db_hosts: ["127.0.0.1:2379"],
            nb_db_timeout_ms: 5_000,
            publisher_timeout: 300,
            publisher_rate_limit_timeout: 180,
            publisher_rate_limit_count: 1,
            monitor_table_poll_time: 30,
            monitor_tables: ["chassis", "publisher"],
            management_ip: "127.0.0.1",
            discover_publishers: false,
            log_level: "info",
            metrics_listen: "",
            zmq: {
              send_high_water_mark: 1_000_000,
              multiproc_send_high_water_mark: 1024,
              receive_high_water_mark: 1_000_000,
              linger_ms: 5_000,
              replay_window: 65_536,
              send_timeout_ms: 10_000,
              reconnect_interval_ms: 100,
              reconnect_interval_max_ms: 0,
              heartbeat_interval_ms: 2_000,
              publisher_heartbeat_interval_ms: 10_000,
              batch: false,
              batch_max_bytes: 262_144,
              multiproc_batch: true,
              max_message_bytes: 16_777_216,
              max_subscription_bytes: 262_144,
              backlog: 4096,
              heartbeat_timeout_ms: 6_000,
            },
            redis: {
              url: "redis://127.0.0.1:6379",
              channel_prefix: "",
              connect_timeout_ms: 10_000,
              reconnect_interval_ms: 500,
              linger_ms: 5_000,
              max_message_bytes: 16_777_216,
            },
            nats: {
              servers: ["nats://127.0.0.1:4222"],
              connect_timeout_ms: 10_000,
              reconnect_interval_ms: 500,
              linger_ms: 5_000,
              max_message_bytes: 16_777_216,
            },
            etcd: { reconnect_interval_ms: 500, linger_ms: 5_000, batch: false, batch_max_bytes: 262_144 },
          },
        );
        assert.ok(Object.isFrozen(config));
      } finally {
        await project.cleanup();
      }
    }
  });

  it("defaults the multiproc socket to a per-user runtime path", async () => {
    const project = await makeProject();
    try {
      const withXdg = await resolveConfig({ cwd: project.dir, env: { XDG_RUNTIME_DIR: "/run/user/1234" } });
      assert.equal(withXdg.config.publisher_multiproc_socket, "/run/user/1234/pubsub/publisher.sock");
      const without = await resolveConfig({ cwd: project.dir, env: NO_ENV });
      assert.match(without.config.publisher_multiproc_socket, /pubsub-\d+\/publisher\.sock$/);
    } finally {
      await project.cleanup();
    }
  });

  for (const [file, content] of [
    ["pubsub.config.json", JSON.stringify({ $schema: "./schema/pubsub.schema.json", publisher_port: 9001 })],
    ["pubsub.config.yaml", '"$schema": ./schema/pubsub.schema.json\npublisher_port: 9001\n'],
  ]) {
    it(`accepts a $schema key for editors in ${file}, and takes it for no option`, async () => {
      const project = await makeProject({ [file]: content });
      try {
        const { config } = await resolveConfig({ cwd: project.dir, env: NO_ENV });
        assert.equal(config.publisher_port, 9001);
        assert.equal(config.$schema, "./schema/pubsub.schema.json");
      } finally {
        await project.cleanup();
      }
    });
  }

  it("leaves publishers unset; subscribers listen where the network driver says", async () => {
    const cases = [
      ["publisher_port: 7000\npublisher_bind_address: 10.1.2.3\n", ["tcp://10.1.2.3:7000"]],
      ["publisher_port: 7001\n", ["tcp://127.0.0.1:7001"]],
      ["publisher_transport: ipc\npublisher_bind_address: /run/x.sock\n", ["ipc:///run/x.sock"]],
      ["pub_sub_driver: redis_pubsub_driver\nredis: { url: 'redis://:pw@10.0.0.7:6380' }\n", ["redis://:pw@10.0.0.7:6380"]],
      ["publishers: [tcp://10.9.9.9:1]\n", ["tcp://10.9.9.9:1"]],
    ];
    for (const [yaml, publishers] of cases) {
      const project = await makeProject({ "pubsub.config.yaml": yaml });
      try {
        const { config } = await resolveConfig({ cwd: project.dir, env: NO_ENV });
        assert.equal(config.publishers, yaml.startsWith("publishers") ? config.publishers : undefined, yaml);
        const pubsub = await loadFromConfig({ cwd: project.dir, env: NO_ENV, publisher: false, logger: quietLogger });
        assert.deepEqual(pubsub.config.publishers, publishers, yaml);
        assert.deepEqual(pubsub.subscriber.listenAddresses, publishers, yaml);
        await pubsub.close();
      } finally {
        await project.cleanup();
      }
    }
  });

  const syntaxCases = [
    ["pubsub.config.yaml", "publisher_port: 1\ntopics: [D\n", /^pubsub\.config\.yaml:3: YAML syntax error: /],
    [
      "pubsub.config.json",
      '{\n  "publisher_port": 1\n  "topics": []\n}',
      /^pubsub\.config\.json:3:3: JSON syntax error: unexpected '"', expected ',' or '}' after a property value$/,
    ],
    // Node 20's JSON.parse names no position for some of these; the line and column are always given.
    [
      "pubsub.config.json",
      '{\n  "publisher_port": 9000,\n  "topics": ["D",]\n}\n',
      /^pubsub\.config\.json:3:18: JSON syntax error: unexpected '\]' after ',' \(JSON allows no trailing comma\)$/,
    ],
    ["pubsub.config.json", '{\n  "topics": ["D"],\n}', /^pubsub\.config\.json:3:1: JSON syntax error: unexpected '\}' after ','/],
    [
      "pubsub.config.json",
      '{\n  "publisher_port": 90x00\n}',
      /^pubsub\.config\.json:2:23: JSON syntax error: unexpected 'x', expected ','/,
    ],
    ["pubsub.config.json", '{\n  "topics": ["D\n"]}', /^pubsub\.config\.json:2:16: JSON syntax error: control character in a string/],
    [
      "pubsub.config.json",
      '{\n  "publisher_port": 1',
      /^pubsub\.config\.json:2:22: JSON syntax error: unexpected end of file, expected ','/,
    ],
    [
      "pubsub.config.json",
      "{\n  'topics': []\n}",
      /^pubsub\.config\.json:2:3: JSON syntax error: unexpected ''', expected a double-quoted/,
    ],
    [
      "pubsub.config.json",
      '{"topics": []} x',
      /^pubsub\.config\.json:1:16: JSON syntax error: unexpected 'x' after the end of the document$/,
    ],
    [
      "pubsub.config.ini",
      "[df]\npublisher_port = 1\npublisher_transport tcp\n",
      /^pubsub\.config\.ini:3: INI syntax error: expected 'key = value' or '\[section\]' \(got "publisher_transport tcp"\)/,
    ],
    ["pubsub.config.ini", "[df\npublisher_port = 1\n", /^pubsub\.config\.ini:1: INI syntax error: malformed section header "\[df"/],
  ];
  for (const [file, content, pattern] of syntaxCases) {
    it(`names the file and line of a syntax error in ${file}: ${pattern.source.slice(0, 40)}`, async () => {
      const project = await makeProject({ [file]: content });
      const cwd = process.cwd();
      process.chdir(project.dir);
      try {
        await assert.rejects(resolveConfig({ env: NO_ENV }), (err) => {
          assert.ok(err instanceof ConfigSyntaxError, String(err));
          assert.equal(err.code, "PUBSUB_ERR_CONFIG_SYNTAX");
          assert.match(err.message, pattern);
          assert.doesNotMatch(err.message, /\n/);
          return true;
        });
      } finally {
        process.chdir(cwd);
        await project.cleanup();
      }
    });
  }
});
