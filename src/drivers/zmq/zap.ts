import * as zmq from "zeromq";
import type { Logger } from "../../contract.js";
import { readAllowList } from "./curve.js";
import { HeldBackLog } from "./held-back-log.js";

/** Where libzmq sends a context's ZAP requests (RFC 27); zeromq.js v6 has no helper for it. */
const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

/** While peers keep being refused, one log line per this many milliseconds. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

const Z85_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/**
 * The ZAP handler of one publisher's ZeroMQ context: accepts a CURVE client whose
 * public key is on the allow-list (`zmq.curve.allowed_subscribers`) and refuses any
 * other, logging the refusal with the peer address libzmq gives (the first, then at most
 * one line every 10 s with the count since). A context has one ZAP endpoint, so each
 * publisher with an allow-list has a context of its own.
 *
 * @example
 * ```ts
 * const zap = await ZapHandler.start(context, "/etc/pubsub/subscribers", logger);
 * process.on("SIGHUP", () => zap.reload());
 * ```
 */
export class ZapHandler {
  readonly #router: zmq.Router;
  readonly #path: string;
  readonly #logger: Logger;
  #allowed: Set<string>;
  #reading: Promise<void> = Promise.resolve();
  #refused = 0;
  #unlogged: { count: number; addresses: Set<string>; last?: { address: string; key: string | undefined } } = {
    count: 0,
    addresses: new Set(),
  };
  readonly #held = new HeldBackLog(REFUSAL_LOG_INTERVAL_MS, () => this.#log());

  private constructor(router: zmq.Router, path: string, allowed: Set<string>, logger: Logger) {
    this.#router = router;
    this.#path = path;
    this.#allowed = allowed;
    this.#logger = logger;
  }

  /**
   * Reads the allow-list at `path` and binds the ZAP endpoint of `context`: before the
   * publisher binds, so no connection goes unchecked.
   *
   * @throws {@link TransportError} when the allow-list is missing or malformed.
   */
  static async start(context: zmq.Context, path: string, logger: Logger): Promise<ZapHandler> {
    const allowed = readAllowList(path);
    const router = new zmq.Router({ context, linger: 0 });
    await router.bind(ZAP_ENDPOINT);
    const handler = new ZapHandler(router, path, allowed, logger);
    handler.#reading = handler.#serve();
    return handler;
  }

  /** Subscriber keys on the allow-list now. */
  get allowed(): number {
    return this.#allowed.size;
  }

  /** Handshakes refused so far: keys not on the allow-list. */
  get refused(): number {
    return this.#refused;
  }

  /**
   * Reads the allow-list again; connections already accepted stay. On an error the
   * list in use is kept.
   *
   * @returns the number of keys now allowed.
   * @throws {@link TransportError} when the allow-list is missing or malformed.
   */
  reload(): number {
    this.#allowed = readAllowList(this.#path);
    return this.#allowed.size;
  }

  async close(): Promise<void> {
    this.#held.flush();
    this.#router.close();
    await this.#reading;
  }

  async #serve(): Promise<void> {
    try {
      for await (const frames of this.#router) await this.#answer(frames);
    } catch (err: unknown) {
      if (!this.#router.closed)
        this.#logger.error({ err }, "the CurveZMQ ZAP handler stopped: new subscriber connections will not be authenticated");
    }
  }

  // [routing id, "", version, request id, domain, address, identity, mechanism, ...credentials]
  async #answer(frames: Buffer[]): Promise<void> {
    const [id, empty, version, requestId, , address, , mechanism, key] = frames;
    if (id === undefined || empty === undefined || requestId === undefined) return;
    const curveKey = mechanism?.toString() === "CURVE" && key?.length === 32 ? z85(key) : undefined;
    const ok = version?.toString() === "1.0" && curveKey !== undefined && this.#allowed.has(curveKey);
    if (!ok) this.#refuse(address?.toString() ?? "unknown", curveKey);
    const reply = ok ? ["200", "OK", curveKey] : ["400", "public key not allowed", ""];
    await this.#router.send([id, empty, "1.0", requestId, ...reply, ""]);
  }

  #refuse(address: string, key: string | undefined): void {
    this.#refused += 1;
    this.#unlogged.count += 1;
    this.#unlogged.last = { address, key };
    if (this.#unlogged.addresses.size < 10) this.#unlogged.addresses.add(address);
    this.#held.note();
  }

  /** Logs the refusals held back: the peers' addresses (up to 10) and the last key refused. */
  #log(): void {
    const { count, addresses, last } = this.#unlogged;
    this.#unlogged = { count: 0, addresses: new Set() };
    const publicKey = last?.key;
    this.#logger.warn(
      { peers: [...addresses], refusedSince: count, refused: this.#refused, ...(publicKey === undefined ? {} : { publicKey }) },
      `refused a subscriber from ${last?.address ?? "unknown"}: its CURVE public key is not on zmq.curve.allowed_subscribers (${count === 1 ? "1 refusal" : `${count} refusals`} since the last line; logged at most every 10 s)`,
    );
  }
}

/** Z85 text of a key (32 bytes), as ZeroMQ writes it. */
function z85(data: Uint8Array): string {
  let text = "";
  for (let offset = 0; offset < data.length; offset += 4) {
    let value = 0;
    for (let i = 0; i < 4; i += 1) value = value * 256 + (data[offset + i] ?? 0);
    let chunk = "";
    for (let i = 0; i < 5; i += 1) {
      chunk = (Z85_ALPHABET[value % 85] ?? "") + chunk;
      value = Math.floor(value / 85);
    }
    text += chunk;
  }
  return text;
}
