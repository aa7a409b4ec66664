import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { freePort } from "../../dist/testing.js";

describe("freePort()", () => {
  it("never hands out the same port twice in a process, though the kernel offers a closed port again", async () => {
    const ports = [];
    for (let i = 0; i < 300; i += 1) ports.push(await freePort());
    assert.equal(new Set(ports).size, ports.length, "every port differs");
  });

  it("gives a port that can be bound on 127.0.0.1", async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    assert.equal(server.address().port, port);
    await new Promise((resolve) => server.close(resolve));
  });
});
