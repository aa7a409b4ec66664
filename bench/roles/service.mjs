// The publisher service in its own process, as `pubsub-run service` runs it; or, as the
// raw reference, a plain zeromq.js relay: a PULL socket bound to the same ipc path, each
// message sent on as it came through an XPUB socket bound where subscribers connect.
import * as zmq from "zeromq";
import { loadPublisherService } from "../../dist/index.js";
import { closeWith, options, report } from "./role.mjs";

const { impl = "ours", configPath, overrides, socket, bind, highWaterMark } = options;

async function ours() {
  const { service } = await loadPublisherService({ configPath, env: {}, overrides });
  return () => service.stop();
}

async function raw() {
  const pull = new zmq.Pull({ linger: 0 });
  const xpub = new zmq.XPublisher({ linger: 0, ...(highWaterMark === undefined ? {} : { sendHighWaterMark: highWaterMark }) });
  await pull.bind(`ipc://${socket}`);
  await xpub.bind(bind);
  const relay = (async () => {
    try {
      for await (const frames of pull) await xpub.send(frames);
    } catch {
      // closed
    }
  })();
  return async () => {
    pull.close();
    xpub.close();
    await relay;
  };
}

closeWith(impl === "raw" ? await raw() : await ours());
report({ type: "ready" });
