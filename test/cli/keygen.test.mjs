// `pubsub-run keygen`: a CurveZMQ key pair for zmq.curve; and `check`'s warning for a
// ZeroMQ publisher bound beyond loopback without curve.
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

describe("pubsub-run keygen", () => {
  let project;
  before(async () => {
    project = await makeProject();
  });
  after(() => project.cleanup());

  it("writes NAME.key and NAME.key_secret (mode 0600) in Z85, prints the public key, never the secret", async () => {
    const { code, stdout, stderr } = await runCli(["keygen", "--out", "keys", "--name", "publisher"], { cwd: project.dir });
    assert.equal(code, 0, stderr);
    const publicKey = (await readFile(join(project.dir, "keys/publisher.key"), "utf8")).trim();
    const secretKey = (await readFile(join(project.dir, "keys/publisher.key_secret"), "utf8")).trim();
    assert.match(publicKey, Z85_KEY);
    assert.match(secretKey, Z85_KEY);
    assert.notEqual(publicKey, secretKey);
    assert.equal((await stat(join(project.dir, "keys/publisher.key_secret"))).mode & 0o777, 0o600);
    assert.ok(stdout.includes(publicKey));
    assert.ok(!stdout.includes(secretKey) && !stderr.includes(secretKey));
  });

  it("refuses to overwrite a key: exit 2, the files unchanged", async () => {
    await runCli(["keygen", "--out", "again", "--name", "k"], { cwd: project.dir });
    const before = await readFile(join(project.dir, "again/k.key_secret"), "utf8");
    const { code, stderr } = await runCli(["keygen", "--out", "again", "--name", "k"], { cwd: project.dir });
    assert.equal(code, 2);
    assert.match(stderr, /again\/k\.key_secret already exists/);
    assert.equal(await readFile(join(project.dir, "again/k.key_secret"), "utf8"), before);
  });

  it("is in the launcher's help, with help of its own", async () => {
    assert.match((await runCli(["--help"])).stdout, /keygen\s+write a CurveZMQ key pair/);
    const own = await runCli(["keygen", "--help"]);
    assert.equal(own.code, 0);
    assert.match(own.stdout, /Usage: pubsub-run keygen \[--out DIR\] \[--name NAME\]/);
  });

  it("check warns about a ZeroMQ publisher bound beyond loopback without curve, not with curve or on loopback", async () => {
    await runCli(["keygen", "--out", "check", "--name", "pub"], { cwd: project.dir });
    const check = async (...sets) => {
      const args = ["check", "--set", "pub_sub_driver=zmq_pubsub_driver", ...sets.flatMap((set) => ["--set", set])];
      const { code, stdout, stderr } = await runCli(args, { cwd: project.dir });
      assert.equal(code, 0, stderr);
      return JSON.parse(stdout).warnings ?? [];
    };
    const [warning, ...more] = await check("publisher_bind_address=*");
    assert.match(warning, /publisher_bind_address \* is reachable beyond this host and zmq.curve is off/);
    assert.deepEqual(more, []);
    assert.deepEqual(await check("publisher_bind_address=127.0.0.1"), []);
    assert.deepEqual(await check("zmq.curve.enabled=true", "zmq.curve.publisher_secret_key_file=check/pub.key_secret"), []);
  });
});
