// The example driver loaded the way users load a third-party driver: by path
// from a config file, through loadFromConfig() and `pubsub-run check`; docs/tcp-driver.md and the README
// show the driver and its conformance test file as they are.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadFromConfig } from "../../dist/index.js";
import { Collector, freePort, waitForFlow } from "../../dist/testing.js";
import { runCli } from "../helpers/cli.mjs";
import { makeProject } from "../helpers/fixtures.mjs";

const EXAMPLE = fileURLToPath(new URL("../../examples/tcp-driver/tcp-driver.mjs", import.meta.url));
const README = fileURLToPath(new URL("../../README.md", import.meta.url));
const DOC = fileURLToPath(new URL("../../docs/tcp-driver.md", import.meta.url));
const CONFORMANCE_TEST = fileURLToPath(new URL("../conformance/example-tcp-driver.test.mjs", import.meta.url));

const projects = [];
after(() => Promise.all(projects.map((project) => project.cleanup())));

/** A project folder whose pubsub.config.yaml names the example by absolute path. */
async function projectUsingExample(port) {
  const project = await makeProject();
  projects.push(project);
  const configPath = join(project.dir, "pubsub.config.yaml");
  await writeFile(
    configPath,
    [`pub_sub_driver: ${EXAMPLE}`, "pub_sub_use_multiproc: false", `publisher_port: ${port}`, "publisher_bind_address: 127.0.0.1", ""].join(
      "\n",
    ),
  );
  return configPath;
}

describe("examples/tcp-driver as a third-party driver", () => {
  it("loadFromConfig() loads it by path and events flow through it", async () => {
    const port = await freePort();
    const configPath = await projectUsingExample(port);
    const got = new Collector();
    const pubsub = await loadFromConfig({ configPath, env: {}, onEvent: got.callback });
    try {
      assert.deepEqual(pubsub.config.publishers, [`tcp://127.0.0.1:${port}`]);
      await waitForFlow(pubsub.publisher, [got]);
      await pubsub.publisher.sendEvent({ table: "lport", key: "p1", action: "create", value: { mtu: 1450 } }, "D");
      await got.until(() => got.count("lport") === 1, "the event through the example driver");
      assert.deepEqual(got.of("lport"), [{ table: "lport", key: "p1", action: "create", value: { mtu: 1450 }, topic: "D" }]);
    } finally {
      await pubsub.close();
    }
  });

  it("pubsub-run check resolves it as a module path", async () => {
    const configPath = await projectUsingExample(await freePort());
    const { code, stdout, stderr } = await runCli(["check", "--config", configPath]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout);
    assert.equal(report.drivers.network.source, "path");
    assert.equal(fileURLToPath(report.drivers.network.module), EXAMPLE);
  });

  it("docs/tcp-driver.md shows the example file whole, and the README links to it", async () => {
    const [page, example, readme] = await Promise.all([readFile(DOC, "utf8"), readFile(EXAMPLE, "utf8"), readFile(README, "utf8")]);
    assert.ok(
      page.includes("```js\n" + example + "```\n"),
      "docs/tcp-driver.md must contain examples/tcp-driver/tcp-driver.mjs verbatim in a ```js block",
    );
    assert.ok(page.includes("](../examples/tcp-driver/tcp-driver.mjs)"), "the page points at the example file");
    assert.ok(readme.includes("](docs/tcp-driver.md)"), "the README links to the page");
  });

  it("the README shows the example's conformance test file whole", async () => {
    const [readme, test] = await Promise.all([readFile(README, "utf8"), readFile(CONFORMANCE_TEST, "utf8")]);
    assert.ok(
      readme.includes("```js\n" + test + "```\n"),
      "README.md must contain test/conformance/example-tcp-driver.test.mjs verbatim in a ```js block",
    );
  });
});
