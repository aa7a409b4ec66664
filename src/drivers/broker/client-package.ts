import { DriverLoadError, errorMessages, isErrnoException } from "../../errors.js";

/**
 * Imports the client package a broker driver is built on. The client packages are
 * optional peer dependencies of pubsub, installed only by those who use the driver, so
 * a missing one is an expected mistake: it gets one line naming the package and the
 * command that installs it, not a stack trace.
 *
 * @param load - imports the package (`() => import("ioredis")`); injectable for tests.
 * @param pkg - the npm package `load` imports.
 * @param driver - the driver alias that needs it, for the message.
 * @throws {@link DriverLoadError} when the package is missing or fails to load.
 */
export async function importClientPackage<T>(load: () => Promise<T>, pkg: string, driver: string): Promise<T> {
  try {
    return await load();
  } catch (err: unknown) {
    if (isMissingPackage(err, pkg)) {
      throw new DriverLoadError(errorMessages.packageMissing(driver, pkg), { cause: err });
    }
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new DriverLoadError(errorMessages.packageBroken(driver, pkg, reason ?? ""), { cause: err });
  }
}

function isMissingPackage(err: unknown, pkg: string): boolean {
  if (!isErrnoException(err)) return false;
  if (err.code !== "ERR_MODULE_NOT_FOUND" && err.code !== "MODULE_NOT_FOUND") return false;
  return err.message.includes(`'${pkg}'`);
}
