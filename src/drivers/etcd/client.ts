import type * as Etcd3Module from "etcd3";
import { importClientPackage } from "../broker/client-package.js";

/**
 * The etcd3 client module. etcd3 is an optional peer dependency: when it is not
 * installed, importing this driver fails with a `PUBSUB_ERR_DRIVER_LOAD` error that
 * names the package and `npm install etcd3`.
 */
export const etcd3: typeof Etcd3Module = await importClientPackage(() => import("etcd3"), "etcd3", "etcd_pubsub_driver");

export type { Etcd3, IDuplexStream, IOptions, IWatchRequest, IWatchResponse } from "etcd3";
