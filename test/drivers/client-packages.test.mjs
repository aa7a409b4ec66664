// The broker drivers' client packages (ioredis, nats) are optional peer dependencies.
// Here pubsub-run is installed in a project of its own where they are not (every other
// package is there), and importing a broker driver, directly or through the loader,
// must name the missing package and the command that installs it: no stack trace.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../../", import.meta.url));
const CLIENT_PACKAGES = ["ioredis", "nats"];

/** Runs node in `cwd`; resolves with the exit code and output whatever the code. */
async function node(args, cwd) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd, env: { PATH: process.env.PATH } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("a broker driver whose client package is not installed", () => {
  let project;
  let cli;
  before(async () => {
    project = await mkdtemp(join(tmpdir(), "pubsub-no-clients-"));
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    const modules = join(project, "node_modules");
    const installed = join(modules, "pubsub-run");
    await mkdir(installed, { recursive: true });
    for (const entry of ["package.json", "dist", "schema"]) await cp(join(root, entry), join(installed, entry), { recursive: true });
    for (const name of await readdir(join(root, "node_modules"))) {
      if (CLIENT_PACKAGES.includes(name) || name.startsWith(".")) continue;
      await symlink(join(root, "node_modules", name), join(modules, name));
    }
    cli = join(installed, "dist/cli/main.js");
  });
  after(() => rm(project, { recursive: true, force: true }));

  for (const [driver, pkg, entry] of [
    ["redis_pubsub_driver", "ioredis", "pubsub-run/drivers/redis"],
    ["nats_pubsub_driver", "nats", "pubsub-run/drivers/nats"],
  ]) {
    it(`importing ${entry} without ${pkg}: PUBSUB_ERR_DRIVER_LOAD naming the package and npm install ${pkg}`, async () => {
      const script = `import(${JSON.stringify(entry)}).then(() => console.log("loaded"), (err) => console.log(JSON.stringify({ code: err.code, name: err.name, message: err.message, cause: err.cause?.code })));`;
      const { code, stdout } = await node(["--input-type=module", "-e", script], project);
      assert.equal(code, 0);
      assert.deepEqual(JSON.parse(stdout), {
        code: "PUBSUB_ERR_DRIVER_LOAD",
        name: "DriverLoadError",
        message: `${driver} needs the package '${pkg}', which is not installed; install it with: npm install ${pkg}`,
        cause: "ERR_MODULE_NOT_FOUND",
      });
    });

    it(`pubsub-run check with ${driver} and no ${pkg}: one line naming the option, the package and the command, exit 2`, async () => {
      const { code, stdout, stderr } = await node(
        [cli, "check", "--set", `pub_sub_driver=${driver}`, "--set", "pub_sub_use_multiproc=false"],
        project,
      );
      assert.equal(stdout, "");
      assert.equal(
        stderr,
        `pubsub-run: --set pub_sub_driver: pub_sub_driver: ${driver} needs the package '${pkg}', which is not installed; install it with: npm install ${pkg}\n`,
      );
      assert.equal(code, 2);
    });
  }

  it("the rest of pubsub works there: the default (ZeroMQ) config checks out", async () => {
    const { code, stdout } = await node([cli, "check"], project);
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).drivers.network.name, "zmq_pubsub_driver");
  });
});
