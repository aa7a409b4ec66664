import { StateError } from "../errors.js";

/**
 * The states of a database driver's connection: not yet opened, open, closed. It makes
 * `initialize()` safe to call again (after a failure it connects anew), `close()` safe to
 * call twice, and refuses requests outside `initialize()`..`close()` with a
 * {@link StateError}.
 */
export class Connection<C> {
  readonly #driver: string;
  #client: C | undefined;
  #opening: Promise<C> | undefined;
  #closed = false;

  /** @param driver - the driver alias, for messages: `etcd_nb_db_driver`. */
  constructor(driver: string) {
    this.#driver = driver;
  }

  /** Opens the connection with `connect` unless it is open or opening. */
  async open(connect: () => Promise<C>): Promise<void> {
    if (this.#closed) throw new StateError(`${this.#driver}: initialize() after close(); create a new driver instead`);
    if (this.#client !== undefined) return;
    this.#opening ??= connect();
    try {
      const client = await this.#opening;
      // close() during the connect disconnects `client` itself.
      if (this.#isClosed()) throw new StateError(`${this.#driver}: close() was called while initialize() connected`);
      this.#client = client;
    } finally {
      this.#opening = undefined;
    }
  }

  /** The open connection. @throws {@link StateError} before `initialize()` and after `close()`. */
  get client(): C {
    if (this.#client !== undefined) return this.#client;
    throw new StateError(`${this.#driver}: ${this.#closed ? "used after close()" : "used before initialize()"}`);
  }

  /** True between a successful `initialize()` and `close()`. */
  get isOpen(): boolean {
    return this.#client !== undefined;
  }

  // A method, not the field: TypeScript would keep the field narrowed across the await.
  #isClosed(): boolean {
    return this.#closed;
  }

  /** Closes the connection with `disconnect` once; later calls resolve at once. */
  async close(disconnect: (client: C) => Promise<void>): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.#client ?? (await this.#opening?.catch(() => undefined));
    this.#client = undefined;
    if (client !== undefined) await disconnect(client);
  }
}
