// test/conformance/example-tcp-driver.test.mjs: the example driver through the whole
// conformance suite, as its author runs it (`node --test`). A driver of your own imports
// "pubsub-run" and "pubsub-run/testing" the same way.
import { createServer } from "node:net";
import { createStderrLogger, resolveConfig } from "pubsub-run";
import { freePort, runConformance } from "pubsub-run/testing";
import createTcpDriver, { encodeMessage } from "../../examples/tcp-driver/tcp-driver.mjs";

// The garbage scenario makes subscribers log warnings: keep them out of the test output.
const context = { role: "network", logger: createStderrLogger("silent") };

runConformance({
  name: "examples/tcp-driver",
  // true runs a scenario; a string skips it and says why (e.g. "takes every topic by design")
  features: { topicFiltering: true, fanOut: true, restart: true, garbage: true },
  async endpoint() {
    const port = await freePort();
    const { config } = await resolveConfig({
      env: {}, // the machine's PUBSUB_* variables stay out of the test
      overrides: { publisher_port: port, publisher_bind_address: "127.0.0.1" },
    });
    return { api: createTcpDriver(config, context), address: `tcp://127.0.0.1:${port}` };
  },
  // Needed for the garbage scenario: something that puts raw frames on the wire to the
  // endpoint's subscribers (here a server on the publisher's port).
  async rawSender(endpoint) {
    const clients = new Set();
    const server = createServer((client) => {
      clients.add(client);
      client.on("close", () => clients.delete(client));
      client.on("error", () => client.destroy());
    });
    await new Promise((resolve) => server.listen(Number(new URL(endpoint.address).port), "127.0.0.1", resolve));
    return {
      async send(frames) {
        for (const client of clients) client.write(encodeMessage(frames));
      },
      async close() {
        for (const client of clients) client.destroy();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  },
  // Optional: restartPeer(endpoint, publisher) restarts what subscribers connect to
  // (default: close the publisher and start a new one; broker drivers restart the server).
});
