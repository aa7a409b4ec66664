// How the Redis database driver reaches a server that lets no one in: the `redis`
// section's username, password and TLS, on real redis-server processes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import createRedisDatabase from "../../dist/db/redis.js";
import { withDefaults } from "../../dist/index.js";
import { initialized, recordingLogger } from "../helpers/fixtures.mjs";
import { brokerSkipReason, startRedis } from "../helpers/servers.mjs";

const skip = brokerSkipReason("redis-server");
/** Test-only certificates (test/fixtures/tls/README.md). */
const TLS = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));

/** The Redis database driver at `server`, with `redis` options, initialised; rejects as its initialize() does. */
async function openDatabase(server, redis = {}) {
  const config = withDefaults({ remote_db_hosts: [`127.0.0.1:${server.port}`], nb_db_timeout_ms: 3_000, redis }, {});
  return initialized(createRedisDatabase(config, { logger: recordingLogger() }));
}

async function roundTrip(server, redis) {
  const db = await openDatabase(server, redis);
  try {
    await db.setKey("access", "k", "v");
    assert.equal(await db.getKey("access", "k"), "v");
    return db.address;
  } finally {
    await db.close();
  }
}

describe("redis_nb_db_driver: redis.password and redis.tls", { skip }, () => {
  it("reaches a server that requires a password with redis.password; without it, or with a wrong one, initialize() fails naming the options", async () => {
    const server = await startRedis({ args: ["--requirepass", "db-secret"] });
    after(() => server.close());
    assert.equal(await roundTrip(server, { password: "db-secret" }), `redis://127.0.0.1:${server.port}`);
    for (const redis of [{}, { password: "wrong-secret" }]) {
      await assert.rejects(openDatabase(server, redis), (err) => {
        assert.equal(err.code, "PUBSUB_ERR_DB");
        assert.match(err.message, /^remote_db_hosts: cannot connect to the Redis server at redis:\/\/127\.0\.0\.1:\d+: /);
        assert.match(err.message, /credentials \(redis\.username, redis\.password, redis\.tls\) are right/);
        assert.doesNotMatch(err.message, /secret/, "no password is printed");
        return true;
      });
    }
  });

  it("reaches a server that serves TLS with redis.tls, over rediss://", async () => {
    const tls = { cert: join(TLS, "server.pem"), key: join(TLS, "server.key"), ca: join(TLS, "ca.pem") };
    const server = await startRedis({ tls });
    after(() => server.close());
    assert.equal(await roundTrip(server, { tls: { ca_file: tls.ca } }), `rediss://127.0.0.1:${server.port}`);
    await assert.rejects(openDatabase(server), { code: "PUBSUB_ERR_DB" });
  });
});
