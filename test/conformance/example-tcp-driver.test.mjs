// The README's example driver (examples/tcp-driver) against the whole conformance suite,
// as a third-party driver author runs it.
import { createServer } from "node:net";
import createTcpDriver, { encodeMessage } from "../../examples/tcp-driver/tcp-driver.mjs";
import { freePort, runConformance } from "../../dist/testing.js";
import { configFor, quietContext } from "../helpers/zmq.mjs";

/** Listens where the endpoint's publisher would and writes raw messages to whoever connects. */
async function rawServer(address) {
  const { hostname, port } = new URL(address);
  const clients = new Set();
  const server = createServer((client) => {
    clients.add(client);
    client.on("close", () => clients.delete(client));
    client.on("error", () => client.destroy());
  });
  await new Promise((resolve) => server.listen(Number(port), hostname, resolve));
  return {
    async send(frames) {
      const message = encodeMessage(frames.map((frame) => Buffer.from(frame)));
      for (const client of clients) client.write(message);
    },
    async close() {
      for (const client of clients) client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

runConformance({
  name: "examples/tcp-driver",
  features: { topicFiltering: true, fanOut: true, restart: true, garbage: true },
  async endpoint() {
    const port = await freePort();
    const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" });
    return { api: createTcpDriver(config, quietContext("network")), address: `tcp://127.0.0.1:${port}` };
  },
  rawSender: (endpoint) => rawServer(endpoint.address),
});
