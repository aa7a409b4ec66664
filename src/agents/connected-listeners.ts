import type { Logger } from "../contract.js";

/**
 * The listeners of a `ConnectionAwareSubscriber`: `onConnected` adds one, and a
 * driver calls {@link notify} each time a publisher greets it. A listener that throws is
 * logged; the others still run.
 */
export class ConnectedListeners {
  readonly #listeners: ((uri: string) => void)[] = [];

  add(listener: (uri: string) => void): void {
    this.#listeners.push(listener);
  }

  notify(uri: string, logger: Logger): void {
    for (const listener of this.#listeners) {
      try {
        listener(uri);
      } catch (err: unknown) {
        logger.error({ err, uri }, "an onConnected listener threw");
      }
    }
  }
}
