import { mkdir, lstat, stat, unlink, access, constants } from "node:fs/promises";
import { createConnection } from "node:net";
import { dirname } from "node:path";
import { TransportError, isErrnoException } from "../../errors.js";

/** Unix socket paths longer than this do not fit `sockaddr_un` on Linux. */
const MAX_SOCKET_PATH = 107;

/** The file path of an `ipc://` endpoint, or undefined for other transports. */
export function ipcPath(endpoint: string): string | undefined {
  return endpoint.startsWith("ipc://") ? endpoint.slice("ipc://".length) : undefined;
}

/**
 * Makes `path` ready to bind a Unix socket on: creates its directory (mode 0700) when
 * missing, checks it is writable, and removes a stale socket file a dead process left.
 * A socket file that still accepts connections belongs to a live process: that is an
 * error, so two publisher services never share one socket.
 *
 * @param option - the config option that named the path, for error messages.
 * @throws {@link TransportError} naming the path, the option and the fix.
 */
export async function prepareSocketPath(path: string, option: string): Promise<void> {
  const fix = `choose another with --set ${option}=<path>`;
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new TransportError(`${option}: socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes; ${fix}`, { option });
  }
  const dir = dirname(path);
  try {
    await makeDirectory(dir);
    await access(dir, constants.W_OK);
  } catch (err: unknown) {
    const code = isErrnoException(err) ? ` (${err.code ?? err.message})` : "";
    throw new TransportError(`${option}: directory ${dir} is not writable${code}; ${fix}`, { cause: err, option });
  }
  const stats = await lstat(path).catch((err: unknown) => {
    if (isErrnoException(err) && err.code === "ENOENT") return undefined;
    throw err;
  });
  if (stats === undefined) return;
  if (!stats.isSocket()) {
    throw new TransportError(`${option}: ${path} exists and is not a socket; remove it or ${fix}`, { option });
  }
  if (await acceptsConnections(path)) {
    throw new TransportError(`${option}: ${path} is in use by a running process (another publisher service?); stop it or ${fix}`, {
      option,
    });
  }
  await unlink(path).catch((err: unknown) => {
    throw new TransportError(`${option}: cannot remove the stale socket ${path}; remove it by hand or ${fix}`, { cause: err, option });
  });
}

/** Removes the socket file at `path`; a file already gone is fine. */
export async function removeSocketFile(path: string): Promise<void> {
  await unlink(path).catch((err: unknown) => {
    if (!(isErrnoException(err) && err.code === "ENOENT")) throw err;
  });
}

/**
 * Creates `dir` and its missing parents (mode 0700), one level at a time from the
 * nearest one that exists. Not `mkdir(dir, { recursive: true })`: where a level cannot
 * be created but the error says it is missing (ENOENT under /proc), that loops forever
 * in libuv; here each level is tried once and the walk up ends at the root.
 */
async function makeDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    const found = await stat(at).catch((err: unknown) => {
      if (isErrnoException(err) && err.code === "ENOENT" && dirname(at) !== at) return undefined;
      throw err;
    });
    if (found !== undefined) {
      if (!found.isDirectory()) throw Object.assign(new Error(`${at} is not a directory`), { code: "ENOTDIR" });
      break;
    }
    missing.push(at);
  }
  for (const level of missing.reverse()) {
    await mkdir(level, { mode: 0o700 }).catch((err: unknown) => {
      if (!(isErrnoException(err) && err.code === "EEXIST")) throw err;
    });
  }
}

function acceptsConnections(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}
