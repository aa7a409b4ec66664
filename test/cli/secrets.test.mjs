// No secret printed: every pubsub-run command, run against real redis-server and
// nats-server processes that require a password or a token, with the secrets set in the
// file, in PUBSUB_* variables, with --set and inside URLs, right and wrong. No output
// (stdout, stderr) may hold a secret: check, logs, ready lines and errors print `***`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";
import { processStarter } from "../helpers/process.mjs";
import { brokerSkipReason, startNats, startRedis } from "../helpers/servers.mjs";
import { socketDir } from "../helpers/zmq.mjs";

const start = processStarter();

const REDIS_PASSWORD = "redis-pw-Q7xv3";
const NATS_PASSWORD = "nats-pw-K2mz8";
const NATS_TOKEN = "nats-token-W4pd1";
const WRONG = "wrong-pw-J9ht5";
const SECRETS = [REDIS_PASSWORD, NATS_PASSWORD, NATS_TOKEN, WRONG];

const EVENT = ["--table", "lport", "--key", "p1", "--action", "create", "--value", "{}", "--topic", "tenant-a"];

/** Fails when `output` holds any secret, naming the command it came from. */
function assertNoSecret(what, ...outputs) {
  const text = outputs.flat().join("\n");
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${what} printed the secret ${secret}:\n${text}`);
}

/** Runs `pubsub-run args` to its end and checks its output holds no secret. */
async function runClean(args, options) {
  const result = await runCli(args, options);
  assertNoSecret(`pubsub-run ${args.join(" ")}`, result.stdout, result.stderr);
  return result;
}

/** Each broker: its servers, and the secrets as the file, the environment, --set and URLs give them. */
const brokers = [
  {
    driver: "redis_pubsub_driver",
    binary: "redis-server",
    async servers() {
      const server = await startRedis({ args: ["--requirepass", REDIS_PASSWORD] });
      const withPassword = (password) => `redis://:${password}@127.0.0.1:${server.port}`;
      return {
        close: () => server.close(),
        file: `redis:\n  url: ${server.url}\n  password: ${REDIS_PASSWORD}\n`,
        env: { PUBSUB_REDIS: JSON.stringify({ url: server.url, password: REDIS_PASSWORD }) },
        sets: ["--set", `redis.password=${REDIS_PASSWORD}`],
        url: withPassword(REDIS_PASSWORD),
        wrongSets: ["--set", `redis.password=${WRONG}`],
        wrongUrl: withPassword(WRONG),
        refused: /WRONGPASS/,
      };
    },
  },
  {
    driver: "nats_pubsub_driver",
    binary: "nats-server",
    async servers() {
      const server = await startNats({ args: ["--user", "pubsub", "--pass", NATS_PASSWORD] });
      const tokenServer = await startNats({ args: ["--auth", NATS_TOKEN] });
      const withPassword = (password) => `nats://pubsub:${password}@127.0.0.1:${server.port}`;
      return {
        close: () => Promise.all([server.close(), tokenServer.close()]),
        file: `nats:\n  servers: [${server.url}]\n  user: pubsub\n  password: ${NATS_PASSWORD}\n`,
        env: { PUBSUB_NATS: JSON.stringify({ servers: [server.url], user: "pubsub", password: NATS_PASSWORD }) },
        sets: ["--set", `nats.password=${NATS_PASSWORD}`],
        url: withPassword(NATS_PASSWORD),
        tokenUrl: `nats://${NATS_TOKEN}@127.0.0.1:${tokenServer.port}`,
        tokenSets: ["--set", `nats.servers=${tokenServer.url}`, "--set", `nats.token=${NATS_TOKEN}`],
        wrongSets: ["--set", `nats.password=${WRONG}`],
        wrongUrl: withPassword(WRONG),
        refused: /Authorization Violation/i,
      };
    },
  },
];

for (const broker of brokers) {
  describe(`no secret printed with ${broker.driver}`, { skip: brokerSkipReason(broker.binary) }, () => {
    let servers;
    let project;
    before(async () => {
      servers = await broker.servers();
      project = await makeProject({
        "pubsub.config.yaml": `pub_sub_driver: ${broker.driver}\npub_sub_use_multiproc: false\n${servers.file}`,
        "from-env.yaml": `pub_sub_driver: ${broker.driver}\npub_sub_use_multiproc: false\n`,
      });
    });
    after(async () => {
      await project?.cleanup();
      await servers?.close();
    });

    it("check masks the secrets of the file, the environment, --set and the URLs", async () => {
      const runs = [["check"], ["check", ...servers.sets, "--set", `publishers=${servers.url}`], ["check", "--config", "from-env.yaml"]];
      for (const args of runs) {
        const env = args.includes("from-env.yaml") ? servers.env : {};
        const { code, stdout, stderr } = await runClean(args, { cwd: project.dir, env });
        assert.equal(code, 0, stderr);
        assert.match(stdout, /\*\*\*/);
      }
    });

    it("subscribe and publish with credentials in URLs, the file and the environment: ready lines and logs hold none", async () => {
      const subscriber = start(["subscribe", "--topic", "tenant-a", "--count", "1", "--set", `publishers=${servers.url}`], {
        cwd: project.dir,
      });
      await subscriber.waitFor(/ready;/);
      const sent = await runClean(["publish", ...EVENT, "--config", "from-env.yaml"], { cwd: project.dir, env: servers.env });
      assert.equal(sent.code, 0, sent.stderr);
      assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
      assert.equal(subscriber.stdout.length, 1);
      assertNoSecret("pubsub-run subscribe", subscriber.stdout, subscriber.stderr);
    });

    it("a token in the URL, or in nats.token, is used and never printed", { skip: broker.driver !== "nats_pubsub_driver" }, async () => {
      const subscriber = start(["subscribe", "--topic", "tenant-a", "--count", "2", "--set", `publishers=${servers.tokenUrl}`], {
        cwd: project.dir,
      });
      await subscriber.waitFor(/ready;/);
      for (const args of [servers.tokenSets, ["--set", `nats.servers=${servers.tokenUrl}`]]) {
        const sent = await runClean(["publish", ...EVENT, "--config", "from-env.yaml", ...args], { cwd: project.dir });
        assert.equal(sent.code, 0, sent.stderr);
      }
      assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
      assertNoSecret("pubsub-run subscribe", subscriber.stdout, subscriber.stderr);
    });

    it("a wrong password, in an option or a URL, fails with the server's answer and no secret, --debug too", async () => {
      const runs = [
        ["publish", ...EVENT, ...servers.wrongSets],
        ["publish", ...EVENT, ...servers.wrongSets, "--debug"],
        ["subscribe", "--count", "1", "--set", `publishers=${servers.wrongUrl}`],
        ["subscribe", "--count", "1", "--set", `publishers=${servers.wrongUrl}`, "--debug"],
      ];
      for (const args of runs) {
        const { code, stderr } = await runClean(args, { cwd: project.dir });
        assert.equal(code, 1, stderr);
        assert.match(stderr, /PUBSUB_ERR_CONNECT|cannot connect/);
        assert.match(stderr, servers.refused);
      }
    });

    it("service: its log lines hold no secret", async () => {
      const socket = join(await socketDir(), "publisher.sock");
      const sets = ["--set", "pub_sub_use_multiproc=true", "--set", `publisher_multiproc_socket=${socket}`];
      const service = start(["service", "--json", ...sets, "--set", `publishers=${servers.url}`], { cwd: project.dir });
      await service.waitFor(/"msg":"ready/);
      service.kill("SIGTERM");
      assert.deepEqual(await service.exit(), { code: 0, signal: null });
      assertNoSecret("pubsub-run service", service.stdout, service.stderr);
    });

    it("demo: its ready line and summary hold no secret", async () => {
      const args = ["demo", "--workers", "1", "--seconds", "1", "--rate", "100", "--set", `publishers=${servers.url}`];
      const { code, stderr } = await runClean(args, { cwd: project.dir });
      assert.equal(code, 0, stderr);
      assert.match(stderr, /ready: .*\*\*\*/);
    });

    it("a secret option of the wrong type is refused without echoing it", async () => {
      const section = broker.driver === "redis_pubsub_driver" ? "redis" : "nats";
      const bad = await makeProject({ "pubsub.config.yaml": `${section}:\n  password: {wrapped: ${WRONG}}\n` });
      try {
        const { code } = await runClean(["check"], { cwd: bad.dir });
        assert.equal(code, 2);
      } finally {
        await bad.cleanup();
      }
    });
  });
}

describe("no secret printed when the Redis password stops working", { skip: brokerSkipReason("redis-server") }, () => {
  it("subscribe --debug: the reconnection the server refuses is logged whole, but without the password it sent", async () => {
    const server = await startRedis({ args: ["--requirepass", REDIS_PASSWORD] });
    after(() => server.close());
    const admin = new Redis(server.url, { password: REDIS_PASSWORD, lazyConnect: true });
    await admin.connect();
    after(() => admin.disconnect());
    const redis = [
      "--set",
      "pub_sub_driver=redis_pubsub_driver",
      "--set",
      `redis.url=${server.url}`,
      "--set",
      `redis.password=${REDIS_PASSWORD}`,
    ];
    const subscriber = start(["subscribe", "--debug", ...redis]);
    await subscriber.waitFor(/ready;/);
    // The password changes and the subscriber's connection drops: its HELLO ... AUTH is refused.
    await admin.config("SET", "requirepass", WRONG);
    await admin.client("KILL", "TYPE", "pubsub");
    await subscriber.waitFor(/"name": "hello"/);
    subscriber.kill("SIGTERM");
    await subscriber.exit();
    assert.match(subscriber.stderr.join("\n"), /WRONGPASS[\s\S]*"args": "\*\*\*"/);
    assertNoSecret("pubsub-run subscribe --debug", subscriber.stdout, subscriber.stderr);
  });
});
