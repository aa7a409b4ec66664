import { constants } from "node:fs";
import { mkdir, open, unlink } from "node:fs/promises";
import { join } from "node:path";
import * as zmq from "zeromq";
import { UsageError, isErrnoException } from "../errors.js";
import { parseCommandArgs } from "./args.js";

export const KEYGEN_HELP = `Usage: pubsub-run keygen [--out DIR] [--name NAME]

Writes a CurveZMQ key pair for zmq.curve (Z85 text, one line each):
  DIR/NAME.key          the public key: give it to the other side (a subscriber's
                        goes into the publisher's zmq.curve.allowed_subscribers folder
                        or file; the publisher's is zmq.curve.publisher_public_key)
  DIR/NAME.key_secret   the secret key, mode 0600: it never leaves this host
Existing files are never overwritten. Prints the two paths and the public key.

Options:
      --out DIR         folder to write to, created if missing (default: .)
      --name NAME       file name without extension (default: pubsub)
  -h, --help            show this help

Exit codes: 0 written, 1 cannot write, 2 bad usage or a file already there.
`;

/** `pubsub-run keygen`: write a CurveZMQ key pair, the secret file 0600. */
export async function runKeygen(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs("keygen", args, { out: { type: "string" }, name: { type: "string" } });
  if (values.help === true) {
    process.stdout.write(KEYGEN_HELP);
    return 0;
  }
  const dir = values.out ?? ".";
  const name = values.name ?? "pubsub";
  if (name === "" || name.includes("/") || name.startsWith(".")) {
    throw new UsageError(`pubsub-run keygen: --name: a file name without / or a leading dot (got ${JSON.stringify(name)})`);
  }
  const { publicKey, secretKey } = zmq.curveKeyPair();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const publicPath = join(dir, `${name}.key`);
  const secretPath = join(dir, `${name}.key_secret`);
  await writeNew(secretPath, secretKey, 0o600);
  try {
    await writeNew(publicPath, publicKey, 0o644);
  } catch (err: unknown) {
    await unlink(secretPath);
    throw err;
  }
  process.stdout.write(`public key: ${publicPath}\nsecret key: ${secretPath}\n${publicKey}\n`);
  return 0;
}

/** Creates `path` with `text` and `mode` whatever the umask; refuses a file already there. */
async function writeNew(path: string, text: string, mode: number): Promise<void> {
  let file;
  try {
    file = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (err: unknown) {
    if (isErrnoException(err) && err.code === "EEXIST") {
      throw new UsageError(`pubsub-run keygen: ${path} already exists; keygen never overwrites a key: choose another --name or --out`, {
        cause: err,
      });
    }
    throw err;
  }
  try {
    await file.chmod(mode);
    await file.writeFile(`${text}\n`);
  } finally {
    await file.close();
  }
}
