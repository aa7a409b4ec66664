// How the etcd drivers reach a cluster that lets no one in: etcd's authentication
// (etcd.username, etcd.password) and TLS (etcd.tls), for the database driver and the
// pub/sub driver alike, on real etcd processes; and the config errors of those options.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { Etcd3 } from "etcd3";
import createEtcdDatabase from "../../dist/db/etcd.js";
import createEtcdDriver from "../../dist/drivers/etcd.js";
import { withDefaults } from "../../dist/index.js";
import { Session, waitForFlow } from "../../dist/testing.js";
import { initialized, recordingLogger } from "../helpers/fixtures.mjs";
import { brokerSkipReason, startEtcd } from "../helpers/servers.mjs";

const skip = brokerSkipReason("etcd");
/** Test-only certificates (test/fixtures/tls/README.md). */
const TLS = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));

/** A config for the etcd drivers at `hosts`, with `etcd` options. */
function configAt(hosts, etcd = {}) {
  return withDefaults({ remote_db_hosts: hosts, nb_db_timeout_ms: 3_000, pub_sub_driver: "etcd_pubsub_driver", etcd }, {});
}

/** A database driver of `config`, initialised; rejects as its initialize() does. */
function openDatabase(config) {
  return initialized(createEtcdDatabase(config, { logger: recordingLogger() }));
}

/** Writes a key with the database driver and reads it back. */
async function roundTrip(config) {
  const db = await openDatabase(config);
  try {
    await db.setKey("access", "k", "v");
    assert.equal(await db.getKey("access", "k"), "v");
  } finally {
    await db.close();
  }
}

/** An event from the etcd pub/sub driver's publisher reaches its subscriber. */
async function flows(config) {
  const api = createEtcdDriver(config, { role: "etcd", logger: recordingLogger() });
  const session = new Session({ endpoint: async () => ({ api, address: `etcd://${config.remote_db_hosts.join(",")}` }) });
  try {
    const { publisher, got } = await session.pair();
    await waitForFlow(publisher, [got]);
  } finally {
    await session.close();
  }
}

describe("etcd drivers: etcd.username and etcd.password", { skip }, () => {
  it("reach an etcd with authentication on, as the user; refused without the user or with a wrong password", async () => {
    const server = await startEtcd();
    after(() => server.close());
    const root = new Etcd3({ hosts: server.url });
    try {
      await root.user("root").create("root-secret");
      await root.user("root").addRole("root");
      await root.auth.authEnable();
    } finally {
      root.close();
    }
    const user = { username: "root", password: "root-secret" };
    await roundTrip(configAt(server.hosts, user));
    await flows(configAt(server.hosts, user));
    await assert.rejects(openDatabase(configAt(server.hosts)), (err) => {
      assert.equal(err.code, "PUBSUB_ERR_DB");
      assert.match(
        err.message,
        /^remote_db_hosts: cannot connect to the etcd server at etcd:\/\/127\.0\.0\.1:\d+: .*user name is empty; check that it runs and the address and credentials \(etcd\.username, etcd\.password, etcd\.tls\) are right/,
      );
      return true;
    });
    await assert.rejects(openDatabase(configAt(server.hosts, { ...user, password: "wrong" })), (err) => {
      assert.match(err.message, /authentication failed|invalid user ID or password/i);
      assert.doesNotMatch(err.message, /wrong/, "the password is never printed");
      return true;
    });
  });
});

describe("etcd drivers: etcd.tls", { skip }, () => {
  it("reach an etcd that serves https with etcd.tls.ca_file; a plain client, or one verifying another etcd.tls.servername, is refused", async () => {
    const server = await startEtcd({ tls: { certFile: join(TLS, "server.pem"), keyFile: join(TLS, "server.key") } });
    after(() => server.close());
    const tls = { tls: { ca_file: join(TLS, "ca.pem") } };
    await roundTrip(configAt(server.hosts, tls));
    await flows(configAt(server.hosts, tls));
    await assert.rejects(openDatabase(configAt(server.hosts)), { code: "PUBSUB_ERR_DB" });
    // The certificate names localhost and 127.0.0.1: another name to verify is refused.
    await roundTrip(configAt(server.hosts, { tls: { ...tls.tls, servername: "localhost" } }));
    await assert.rejects(openDatabase(configAt(server.hosts, { tls: { ...tls.tls, servername: "etcd.example" } })), {
      code: "PUBSUB_ERR_DB",
    });
  });

  it("an etcd that verifies clients takes the certificate of etcd.tls.cert_file and etcd.tls.key_file, and refuses a client without one", async () => {
    const server = await startEtcd({
      tls: { certFile: join(TLS, "server.pem"), keyFile: join(TLS, "server.key") },
      args: ["--client-cert-auth", "--trusted-ca-file", join(TLS, "ca.pem")],
    });
    after(() => server.close());
    const ca = join(TLS, "ca.pem");
    await roundTrip(
      configAt(server.hosts, { tls: { ca_file: ca, cert_file: join(TLS, "client.pem"), key_file: join(TLS, "client.key") } }),
    );
    await assert.rejects(openDatabase(configAt(server.hosts, { tls: { ca_file: ca } })), { code: "PUBSUB_ERR_DB" });
  });
});

describe("etcd drivers: etcd access options refused", () => {
  const cases = [
    [{ username: "root" }, /^etcd\.password: missing while etcd\.username is set/],
    [{ password: "p" }, /^etcd\.username: missing while etcd\.password is set/],
    [{ tls: { cert_file: "/c.pem" } }, /^etcd\.tls\.key_file: missing; a client certificate needs both/],
    [{ tls: { ca_file: "/nonexistent/ca.pem" } }, /^etcd\.tls\.ca_file: cannot read \/nonexistent\/ca\.pem .*; fix the path$/],
  ];
  for (const [etcd, message] of cases) {
    it(`${JSON.stringify(etcd)}: ${message.source.slice(1, 40)}...`, () => {
      for (const create of [createEtcdDatabase, createEtcdDriver]) {
        assert.throws(
          () => create(configAt(["127.0.0.1:2379"], etcd), { logger: recordingLogger() }),
          (err) => {
            assert.match(err.message, message);
            assert.ok(err.code === "PUBSUB_ERR_CONFIG" || err.code === "PUBSUB_ERR_TRANSPORT", err.code);
            return true;
          },
        );
      }
    });
  }
});
