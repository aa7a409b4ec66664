// A driver's error about an option names where the option's value came from (the file,
// PUBSUB_X, --set x, the overrides object), as config errors do; a default value has no
// origin to name.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { TransportError, loadFromConfig, loadPublisherService } from "../../dist/index.js";
import { freePort } from "../../dist/testing.js";
import { makeProject, recordingLogger } from "../helpers/fixtures.mjs";

describe("driver errors name the origin of the option at fault", () => {
  let project;
  let configPath;
  const open = [];
  before(async () => {
    project = await makeProject();
    configPath = join(project.dir, "pubsub.config.yaml");
  });
  after(async () => {
    for (const server of open) await new Promise((resolve) => server.close(resolve));
    await project.cleanup();
  });

  /** Loads a network publisher only (no subscriber, no service) from `options`. */
  function publisherOnly(options) {
    return loadFromConfig({ cwd: project.dir, env: {}, subscriber: false, logger: recordingLogger(), ...options });
  }

  /** A TCP port that something else holds on every address. */
  async function heldPort() {
    const port = await freePort();
    const holder = createServer();
    await new Promise((resolve) => holder.listen(port, "0.0.0.0", resolve));
    open.push(holder);
    return port;
  }

  function transportError(message) {
    return (err) => {
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.code, "PUBSUB_ERR_TRANSPORT");
      assert.doesNotMatch(err.message, /\n/);
      assert.match(err.message, message);
      return true;
    };
  }

  it("the config file: unsupported transport, when the driver is created", async () => {
    await writeFile(configPath, "pub_sub_use_multiproc: false\npublisher_transport: udp\n");
    await assert.rejects(
      publisherOnly({}),
      transportError(
        new RegExp(`^${configPath}: publisher_transport: unsupported transport 'udp' for the ZeroMQ driver; supported here: tcp`),
      ),
    );
  });

  it("the config file: a socket path too long, when the publisher binds", async () => {
    const long = `/tmp/${"x".repeat(110)}/net.sock`;
    await writeFile(configPath, `pub_sub_use_multiproc: false\npublisher_transport: ipc\npublisher_bind_address: ${long}\n`);
    await assert.rejects(
      publisherOnly({}),
      transportError(new RegExp(`^${configPath}: publisher_bind_address: socket path ${long} is longer than 107 bytes; choose another`)),
    );
  });

  it("an environment variable: the port in use", async () => {
    await writeFile(configPath, "pub_sub_use_multiproc: false\n");
    const port = await heldPort();
    await assert.rejects(
      publisherOnly({ env: { PUBSUB_PUBLISHER_PORT: String(port) } }),
      transportError(
        new RegExp(
          `^PUBSUB_PUBLISHER_PORT: publisher_port: cannot bind tcp://\\*:${port}: address already in use; .*--set publisher_port=`,
        ),
      ),
    );
  });

  it("--set: the service's socket path not writable, when the service starts", async () => {
    await writeFile(configPath, "");
    const blocker = join(project.dir, "a-file");
    await writeFile(blocker, "not a directory");
    const socket = join(blocker, "sub", "publisher.sock");
    const port = await freePort();
    await assert.rejects(
      loadPublisherService({
        cwd: project.dir,
        env: {},
        logger: recordingLogger(),
        overrides: [`publisher_port=${port}`, "publisher_bind_address=127.0.0.1", `publisher_multiproc_socket=${socket}`],
      }),
      transportError(
        new RegExp(
          `^--set publisher_multiproc_socket: publisher_multiproc_socket: directory ${blocker}/sub is not writable \\(ENOTDIR\\); choose another`,
        ),
      ),
    );
  });

  it("the overrides object: an ipc address that is not a path", async () => {
    await writeFile(configPath, "");
    await assert.rejects(
      publisherOnly({ overrides: { pub_sub_use_multiproc: false, publisher_transport: "ipc", publisher_bind_address: "relative.sock" } }),
      transportError(
        /^overrides\.publisher_bind_address: publisher_bind_address: the ipc transport needs an absolute socket path \(got "relative\.sock"\)/,
      ),
    );
  });

  it("a default value has no origin: the message starts with the option", async () => {
    await writeFile(configPath, "pub_sub_use_multiproc: false\npublisher_transport: ipc\n");
    await assert.rejects(
      publisherOnly({}),
      transportError(/^publisher_bind_address: the ipc transport needs an absolute socket path \(got "\*"\)/),
    );
  });

  it("the error keeps its option, code and cause", async () => {
    await writeFile(configPath, "pub_sub_use_multiproc: false\n");
    const port = await heldPort();
    await assert.rejects(publisherOnly({ overrides: [`publisher_port=${port}`] }), (err) => {
      assert.equal(err.option, "publisher_port");
      assert.equal(err.isUsageError, true);
      assert.match(err.message, /^--set publisher_port: publisher_port: cannot bind/);
      assert.match(err.stack, /^TransportError: --set publisher_port: publisher_port: cannot bind/);
      assert.ok(err.cause instanceof Error, "the libzmq error is the cause");
      return true;
    });
  });
});
