import type * as Nats from "nats";
import { importClientPackage } from "../broker/client-package.js";

/**
 * The nats.js client module. nats is an optional peer dependency: when it is not
 * installed, importing this driver fails with a `PUBSUB_ERR_DRIVER_LOAD` error that
 * names the package and `npm install nats`.
 */
export const nats: typeof Nats = await importClientPackage(() => import("nats"), "nats", "nats_pubsub_driver");

export type { NatsConnection, Subscription } from "nats";
