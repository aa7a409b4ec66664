// The ZeroMQ multiproc driver (PUSH/PULL over ipc) against the conformance suite, in
// the plain and the batched wire mode.
import { join } from "node:path";
import createZmqMultiprocDriver from "../../dist/drivers/zmq-multiproc.js";
import { runConformance } from "../../dist/testing.js";
import { configFor, quietContext, rawPush, socketDir } from "../helpers/zmq.mjs";

const dir = await socketDir();
let sockets = 0;

for (const batch of [false, true]) {
  runConformance({
    name: `zmq_pubsub_multiproc_driver${batch ? ", batched" : ""}`,
    features: {
      topicFiltering: "the multiproc subscriber is the publisher service's inbox: it takes every topic",
      fanOut: "PUSH/PULL hands each event to one subscriber; there is one publisher service per host",
      restart: "the bound PULL side outlives its workers: a restarting worker leaves nothing to resynchronise",
      garbage: true,
    },
    async endpoint() {
      const path = join(dir, `mp-${(sockets += 1)}.sock`);
      const config = await configFor({ publisher_multiproc_socket: path, zmq: { batch } });
      return { api: createZmqMultiprocDriver(config, quietContext("multiproc")), address: `ipc://${path}` };
    },
    rawSender: (endpoint) => rawPush(endpoint.address),
  });
}
