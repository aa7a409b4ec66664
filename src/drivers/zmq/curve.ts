import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { PubSubConfig } from "../../contract.js";
import { TransportError, isErrnoException } from "../../errors.js";

/** The `zmq.curve` section of the config. */
export type CurveOptions = NonNullable<NonNullable<PubSubConfig["zmq"]>["curve"]>;

/** A CURVE key as ZeroMQ writes it: 40 characters of Z85 (32 bytes). */
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** The keys of a publisher with curve on. */
export interface CurvePublisherKeys {
  /** Its secret key, Z85. */
  readonly secretKey: string;
  /** Where `allowed_subscribers` points, when set: read with {@link readAllowList}. */
  readonly allowList?: string | undefined;
}

/** The keys of a subscriber with curve on. */
export interface CurveSubscriberKeys {
  readonly serverKey: string;
  readonly publicKey: string;
  readonly secretKey: string;
}

/** The keys the config names, read and checked; `undefined` for a role's key when that option is unset. */
export interface CurveKeys {
  readonly publisher: CurvePublisherKeys | undefined;
  readonly subscriber: CurveSubscriberKeys | undefined;
}

/** True when `text` has the shape of a Z85 CURVE key. */
export function isZ85Key(text: string): boolean {
  return Z85_KEY.test(text);
}

/**
 * Reads every key file `zmq.curve` names (curve off: none), so that a missing or
 * malformed one fails when the driver loads. A role whose keys are not all set gets
 * `undefined`: {@link requireKeys} refuses it when that role's agent is made.
 *
 * @throws {@link TransportError} naming the option and the file; never the key.
 */
export function readCurveKeys(curve: CurveOptions | undefined): CurveKeys | undefined {
  if (curve?.enabled !== true) return undefined;
  const secret = curve.publisher_secret_key_file;
  const allowList = curve.allowed_subscribers;
  if (allowList !== undefined) readAllowList(allowList);
  const publisher = secret === undefined ? undefined : { secretKey: readKeyFile(secret, "publisher_secret_key_file"), allowList };
  const serverKey = curve.publisher_public_key;
  const publicFile = curve.subscriber_public_key_file;
  const secretFile = curve.subscriber_secret_key_file;
  const subscriber =
    serverKey === undefined || publicFile === undefined || secretFile === undefined
      ? undefined
      : {
          serverKey: isZ85Key(serverKey) && !exists(serverKey) ? serverKey : readKeyFile(serverKey, "publisher_public_key"),
          publicKey: readKeyFile(publicFile, "subscriber_public_key_file"),
          secretKey: readKeyFile(secretFile, "subscriber_secret_key_file"),
        };
  return { publisher, subscriber };
}

/** The options a role needs with curve on, for the error when one is unset. */
const NEEDED = {
  publisher: ["publisher_secret_key_file"],
  subscriber: ["publisher_public_key", "subscriber_public_key_file", "subscriber_secret_key_file"],
} as const;

/**
 * The role's keys, or `undefined` with curve off.
 *
 * @throws {@link TransportError} when curve is on and an option the role needs is unset.
 */
export function requireKeys<R extends keyof CurveKeys>(
  keys: CurveKeys | undefined,
  curve: CurveOptions | undefined,
  role: R,
): NonNullable<CurveKeys[R]> | undefined {
  if (keys === undefined) return undefined;
  const found = keys[role];
  if (found !== undefined) return found;
  const missing = NEEDED[role].filter((name) => curve?.[name] === undefined);
  const option = `zmq.curve.${missing[0] ?? NEEDED[role][0]}`;
  throw new TransportError(
    `${option}: zmq.curve.enabled is true, so a ${role} needs ${missing.map((name) => `zmq.curve.${name}`).join(", ")}; make keys with pubsub-run keygen`,
    { option },
  );
}

/**
 * The subscriber public keys `allowed_subscribers` names: a file of Z85 keys, one per
 * line (blank lines and `#` comments skipped), or a folder of `.key` files of one key each.
 *
 * @throws {@link TransportError} naming the file (and line) that is missing or malformed.
 */
export function readAllowList(path: string): Set<string> {
  const option = "allowed_subscribers";
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch (err: unknown) {
    throw unreadable(option, path, err);
  }
  const keys = new Set<string>();
  if (folder) {
    let names: string[];
    try {
      names = readdirSync(path).filter((name) => name.endsWith(".key"));
    } catch (err: unknown) {
      throw unreadable(option, path, err);
    }
    for (const name of names.sort()) keys.add(readKeyFile(join(path, name), option));
    return keys;
  }
  const lines = readText(path, option).split("\n");
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (!isZ85Key(line)) throw malformed(option, `${path}:${index + 1}`);
    keys.add(line);
  });
  return keys;
}

/** One Z85 key from a file that holds only it (surrounding whitespace allowed). */
function readKeyFile(path: string, name: string): string {
  const key = readText(path, name).trim();
  if (!isZ85Key(key)) throw malformed(name, path);
  return key;
}

function readText(path: string, name: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err: unknown) {
    throw unreadable(name, path, err);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function unreadable(name: string, path: string, err: unknown): TransportError {
  const option = `zmq.curve.${name}`;
  const why =
    isErrnoException(err) && err.code === "ENOENT" ? "no such file" : isErrnoException(err) ? (err.code ?? "unreadable") : "unreadable";
  return new TransportError(`${option}: cannot read ${path}: ${why}; make keys with pubsub-run keygen`, { cause: err, option });
}

function malformed(name: string, where: string): TransportError {
  const option = `zmq.curve.${name}`;
  return new TransportError(`${option}: ${where} does not hold a CURVE key (40 characters of Z85, as pubsub-run keygen writes it)`, {
    option,
  });
}

/**
 * The warning for a network publisher that binds beyond loopback without curve: anyone
 * who reaches the port reads every event. `undefined` for loopback, IPC, or curve on.
 */
export function exposureWarning(config: PubSubConfig, curve: CurveOptions | undefined): string | undefined {
  if (curve?.enabled === true || config.publisher_transport === "ipc" || config.publisher_transport === "inproc") return undefined;
  const address = config.publisher_bind_address;
  if (/^(127\.|localhost$|::1$|\[::1\]$)/.test(address)) return undefined;
  return (
    `publisher_bind_address ${address} is reachable beyond this host and zmq.curve is off: anyone who reaches ` +
    `${config.publisher_transport}://${address}:${config.publisher_port} reads every event; turn zmq.curve on (keys from pubsub-run keygen) or bind 127.0.0.1`
  );
}
