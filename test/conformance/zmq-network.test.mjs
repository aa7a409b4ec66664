// The ZeroMQ network driver (PUB/SUB) against the conformance suite, over tcp and ipc,
// and over tcp in the batched wire mode.
import { join } from "node:path";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { freePort, runConformance } from "../../dist/testing.js";
import { configFor, quietContext, rawPublisher, socketDir } from "../helpers/zmq.mjs";

const features = { topicFiltering: true, fanOut: true, restart: true, garbage: true };

runConformance({
  name: "zmq_pubsub_driver over tcp",
  features,
  async endpoint() {
    const port = await freePort();
    const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" });
    return { api: createZmqNetworkDriver(config, quietContext("network")), address: `tcp://127.0.0.1:${port}` };
  },
  rawSender: (endpoint) => rawPublisher(endpoint.address),
});

runConformance({
  name: "zmq_pubsub_driver over tcp, batched",
  features,
  async endpoint() {
    const port = await freePort();
    const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", zmq: { batch: true } });
    return { api: createZmqNetworkDriver(config, quietContext("network")), address: `tcp://127.0.0.1:${port}` };
  },
  rawSender: (endpoint) => rawPublisher(endpoint.address),
});

const dir = await socketDir();
let sockets = 0;

runConformance({
  name: "zmq_pubsub_driver over ipc",
  features,
  async endpoint() {
    const path = join(dir, `net-${(sockets += 1)}.sock`);
    const config = await configFor({ publisher_transport: "ipc", publisher_bind_address: path });
    return { api: createZmqNetworkDriver(config, quietContext("network")), address: `ipc://${path}` };
  },
  rawSender: (endpoint) => rawPublisher(endpoint.address),
});
