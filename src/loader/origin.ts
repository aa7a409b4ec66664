import { isPubSubError } from "../errors.js";
import { originOf, type Origins } from "./validate.js";

/**
 * Puts where an option's value came from in front of a coded error about it. A driver
 * knows the option at fault and names it (`publisher_port: cannot bind ...`, with
 * `err.option` set); the loader knows where the value came from, so the message that
 * reaches the user reads `PUBSUB_PUBLISHER_PORT: publisher_port: cannot bind ...`, as
 * config errors do. Errors without an `option`, about a default value, or already
 * prefixed, pass unchanged.
 *
 * The error itself is updated, not wrapped: it keeps its class, code and cause (a driver
 * module may hold its own copy of the error classes, so a new error of "the same" class
 * cannot always be made).
 */
export function withOrigin(err: unknown, origins: Origins): unknown {
  if (!isPubSubError(err) || typeof err.option !== "string") return err;
  const origin = originOf(origins, err.option.split("."));
  if (origin === undefined || err.message.startsWith(`${origin}: `)) return err;
  const before = err.message;
  err.message = `${origin}: ${before}`;
  if (err.stack?.startsWith(`${err.name}: ${before}`) === true) {
    err.stack = `${err.name}: ${err.message}${err.stack.slice(err.name.length + 2 + before.length)}`;
  }
  return err;
}

/** Runs `work`, giving the coded error it may throw its option's origin ({@link withOrigin}). */
export async function explainingOrigin<T>(origins: Origins, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err: unknown) {
    throw withOrigin(err, origins);
  }
}
