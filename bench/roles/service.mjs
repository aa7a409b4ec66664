// The publisher service in its own process, as `pubsub-run service` runs it.
import { loadPublisherService } from "../../dist/index.js";
import { closeWith, options, report } from "./role.mjs";

const { service } = await loadPublisherService({ configPath: options.configPath, env: {}, overrides: options.overrides });
closeWith(() => service.stop());
report({ type: "ready" });
