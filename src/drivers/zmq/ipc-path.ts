import { execFile } from "node:child_process";
import { chmod, chown, lstat, mkdir, readFile, stat, unlink } from "node:fs/promises";
import type { Stats } from "node:fs";
import { createConnection } from "node:net";
import { dirname } from "node:path";
import { TransportError, isErrnoException } from "../../errors.js";

/** Unix socket paths longer than this do not fit `sockaddr_un` on Linux. */
export const MAX_SOCKET_PATH = 107;

/** The option that gives the socket a group, for error messages. */
const GROUP_OPTION = "publisher_multiproc_socket_group";

/**
 * Who may use a Unix socket the service binds: its permissions, set right after bind
 * whatever the umask, and the group that may publish (`""`: none, the service's user alone).
 */
export interface SocketAccess {
  /** Permissions of the socket file, e.g. `0o600`. */
  readonly mode: number;
  /** A group name or numeric gid; `""` for none. */
  readonly group: string;
}

/** Only the service's user may connect. */
export const PRIVATE_SOCKET: SocketAccess = Object.freeze({ mode: 0o600, group: "" });

/** The file path of an `ipc://` endpoint, or undefined for other transports. */
export function ipcPath(endpoint: string): string | undefined {
  return endpoint.startsWith("ipc://") ? endpoint.slice("ipc://".length) : undefined;
}

/** @throws {@link TransportError} when `path` does not fit in a Unix socket address. */
export function checkSocketPathLength(path: string, option: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new TransportError(
      `${option}: socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes; choose another with --set ${option}=<path>`,
      { option },
    );
  }
}

/**
 * Makes `path` ready to bind a Unix socket on, the first half of {@link bindSocketFile}:
 * the folder created or checked, a stale socket file of ours removed. For a socket
 * whose mode the caller leaves to the umask.
 *
 * @throws {@link TransportError} naming the path, the option and the fix.
 */
export async function prepareSocketPath(path: string, option: string): Promise<void> {
  checkSocketPathLength(path, option);
  await prepareFolder(dirname(path), option, undefined);
  await removeStaleSocket(path, option);
}

/**
 * Binds a Unix socket at `path` (`bind` does the binding) so that only `access` allows
 * anyone to use it. The folder is created (0700, or 0750 with the group) when missing;
 * an existing one must be a directory of this process's user that group and others
 * cannot write (else another user could swap the socket). A stale socket file of ours,
 * left by a dead process, is removed; one a running process accepts on is an error, so
 * two publisher services never share one socket. The socket's mode and group are set
 * right after bind; bind runs under umask 077 so that, in between, no one else can
 * connect, even in a folder others may enter.
 *
 * @param option - the config option that named the path, for error messages.
 * @throws {@link TransportError} naming the path, the option and the fix.
 */
export async function bindSocketFile(path: string, option: string, access: SocketAccess, bind: () => Promise<void>): Promise<void> {
  checkSocketPathLength(path, option);
  const gid = await groupId(access.group);
  await prepareFolder(dirname(path), option, gid);
  await removeStaleSocket(path, option);
  await withPrivateUmask(bind);
  try {
    if (gid !== undefined) await chown(path, -1, gid);
    await chmod(path, access.mode);
  } catch (err: unknown) {
    const what = gid === undefined ? `set mode ${octal(access.mode)} on` : `give group ${access.group} to`;
    throw new TransportError(`${option}: cannot ${what} the socket ${path} (${errCode(err)}); check ${GROUP_OPTION}`, {
      cause: err,
      option: gid === undefined ? option : GROUP_OPTION,
    });
  }
}

/**
 * The worker's check before connecting to `path`: a folder other users can write, or
 * one owned by a user other than this process's (or root, or the configured group),
 * may hold a socket someone else put there, so the worker refuses it rather than hand
 * them its events. A missing folder passes: the service creates it.
 *
 * @throws {@link TransportError} naming the folder, what is wrong and the option.
 */
export async function checkSocketFolder(path: string, option: string, access: SocketAccess): Promise<void> {
  const dir = dirname(path);
  const found = await lstatIfAny(dir);
  if (found === undefined) return;
  const gid = await groupId(access.group);
  const euid = effectiveUid();
  const problem = folderProblem(found, (uid, group) => uid === euid || uid === 0 || group === gid);
  if (problem !== undefined) {
    throw new TransportError(
      `${option}: refusing to connect to ${path}: folder ${dir} ${problem} (owner uid ${found.uid}, mode ${octal(found.mode & 0o7777)}), ` +
        "so another user could have put a socket there; " +
        `remove the folder and restart the publisher service, or set ${GROUP_OPTION} when the service runs as another user`,
      { option },
    );
  }
}

/** Removes the socket file at `path`; a file already gone is fine. */
export async function removeSocketFile(path: string): Promise<void> {
  await unlink(path).catch((err: unknown) => {
    if (!(isErrnoException(err) && err.code === "ENOENT")) throw err;
  });
}

async function prepareFolder(dir: string, option: string, gid: number | undefined): Promise<void> {
  const fix = `choose another with --set ${option}=<path>`;
  try {
    await makeDirectory(dir, gid);
  } catch (err: unknown) {
    throw new TransportError(`${option}: directory ${dir} is not writable (${errCode(err)}); ${fix}`, { cause: err, option });
  }
  const found = await lstat(dir);
  const euid = effectiveUid();
  const problem = folderProblem(found, (uid) => uid === euid);
  if (problem !== undefined) {
    throw new TransportError(
      `${option}: folder ${dir} ${problem} (owner uid ${found.uid}, mode ${octal(found.mode & 0o7777)}); it must belong to uid ${euid} ` +
        `and not be writable by group or others, else another user can take the socket; remove it, or ${fix}`,
      { option },
    );
  }
}

/** What makes `found` an unsafe socket folder, or undefined when it is fine; `trusted` says whose folder may be used. */
function folderProblem(found: Stats, trusted: (uid: number, gid: number) => boolean): string | undefined {
  if (found.isSymbolicLink()) return "is a symbolic link";
  if (!found.isDirectory()) return "is not a directory";
  const problems: string[] = [];
  if (!trusted(found.uid, found.gid)) problems.push("belongs to another user");
  if ((found.mode & 0o022) !== 0) problems.push(`is writable by ${(found.mode & 0o002) !== 0 ? "others" : "its group"}`);
  return problems.length === 0 ? undefined : problems.join(" and ");
}

async function removeStaleSocket(path: string, option: string): Promise<void> {
  const fix = `choose another with --set ${option}=<path>`;
  const found = await lstatIfAny(path);
  if (found === undefined) return;
  if (!found.isSocket()) {
    throw new TransportError(`${option}: ${path} exists and is not a socket; remove it or ${fix}`, { option });
  }
  if (found.uid !== effectiveUid()) {
    throw new TransportError(`${option}: ${path} is a socket of uid ${found.uid}, not ours; remove it by hand or ${fix}`, { option });
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

/**
 * Creates `dir` and its missing parents, one level at a time from the nearest one that
 * exists, each 0700 (0750 and group `gid` when given), whatever the umask. Not
 * `mkdir(dir, { recursive: true })`: where a level cannot be created but the error says
 * it is missing (ENOENT under /proc), that loops forever in libuv; here each level is
 * tried once and the walk up ends at the root. A level that appears meanwhile is left
 * as it is (the caller checks the folder).
 */
async function makeDirectory(dir: string, gid: number | undefined): Promise<void> {
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
    const created = await mkdir(level, { mode: 0o700 }).then(
      () => true,
      (err: unknown) => {
        if (isErrnoException(err) && err.code === "EEXIST") return false;
        throw err;
      },
    );
    if (!created) continue;
    if (gid !== undefined) await chown(level, -1, gid);
    await chmod(level, gid === undefined ? 0o700 : 0o750);
  }
}

let privateBinds = 0;
let savedUmask = 0;

/**
 * Runs `bind` with umask 077, so the socket file is created for its owner alone until
 * its mode is set. The umask is the process's: concurrent binds share one change, and
 * files created meanwhile elsewhere only come out stricter. Worker threads cannot set
 * it; there the folder is what keeps others out.
 */
async function withPrivateUmask(bind: () => Promise<void>): Promise<void> {
  let changed = false;
  try {
    if (privateBinds === 0) savedUmask = process.umask(0o077);
    privateBinds += 1;
    changed = true;
  } catch {
    // ERR_WORKER_UNSUPPORTED_OPERATION
  }
  try {
    await bind();
  } finally {
    if (changed) {
      privateBinds -= 1;
      if (privateBinds === 0) process.umask(savedUmask);
    }
  }
}

/** The gid of `group` (a name or a number), undefined for `""`. */
async function groupId(group: string): Promise<number | undefined> {
  if (group === "") return undefined;
  if (/^\d+$/.test(group)) return Number(group);
  const entry = (await getent(group)) ?? (await etcGroup(group));
  const gid = entry === undefined ? undefined : Number(entry.split(":")[2]);
  if (gid === undefined || !Number.isInteger(gid)) {
    throw new TransportError(
      `${GROUP_OPTION}: no group named '${group}' on this host; create it (groupadd ${group}) or name another group or a gid`,
      {
        option: GROUP_OPTION,
      },
    );
  }
  return gid;
}

/** The `getent group` line of `name` (NSS: LDAP groups too); undefined when not found or no getent. */
function getent(name: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("getent", ["group", name], (err, stdout) => resolve(err === null ? stdout.trim().split("\n")[0] : undefined));
  });
}

async function etcGroup(name: string): Promise<string | undefined> {
  const text = await readFile("/etc/group", "utf8").catch(() => "");
  return text.split("\n").find((line) => line.startsWith(`${name}:`));
}

async function lstatIfAny(path: string): Promise<Stats | undefined> {
  return lstat(path).catch((err: unknown) => {
    if (isErrnoException(err) && err.code === "ENOENT") return undefined;
    throw err;
  });
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

function effectiveUid(): number {
  return typeof process.geteuid === "function" ? process.geteuid() : -1;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

function errCode(err: unknown): string {
  if (isErrnoException(err)) return err.code ?? err.message;
  return err instanceof Error ? err.message : String(err);
}
