import type { Redis as IORedis } from "ioredis";
import { importClientPackage } from "../../drivers/broker/client-package.js";

/**
 * The ioredis client class. ioredis is an optional peer dependency: when it is not
 * installed, importing this driver fails with a `PUBSUB_ERR_DRIVER_LOAD` error that
 * names the package and `npm install ioredis`.
 */
export const Redis: typeof IORedis = (await importClientPackage(() => import("ioredis"), "ioredis", "redis_nb_db_driver")).Redis;

/** A connection made with {@link Redis}. */
export type RedisClient = IORedis;
