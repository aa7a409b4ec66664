/**
 * The built-in driver aliases and the module each one loads. Users add their own in the
 * config's `drivers` map; a driver option may also name a module path or an npm package.
 */
export const BUILTIN_DRIVERS: Readonly<Record<string, string>> = Object.freeze({
  zmq_pubsub_driver: "pubsub/drivers/zmq",
  zmq_pubsub_multiproc_driver: "pubsub/drivers/zmq-multiproc",
  redis_pubsub_driver: "pubsub/drivers/redis",
  nats_pubsub_driver: "pubsub/drivers/nats",
});
