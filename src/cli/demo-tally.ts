import { within } from "../agents/deadline.js";
import { SYNC_ACTION } from "../contract.js";

interface WorkerCount {
  received: number;
  lastSeq: number;
  outOfOrder: number;
  sent: number | undefined;
  failed: number;
}

/**
 * What the demo's subscriber saw, per worker: events received, whether each worker's
 * sequence numbers arrived in order, and, once the workers stopped, how that compares
 * with what they sent.
 */
export class DemoTally {
  readonly #workers = new Map<number, WorkerCount>();
  readonly #startedAt = Date.now();
  #total = 0;
  #lastTotal = 0;
  #lastAt = Date.now();
  #syncs = 0;
  #onChange: (() => void) | undefined;

  /** Takes one event from the subscriber's callback. */
  take(table: string | null, action: string, value: unknown): void {
    if (action === SYNC_ACTION && table === null) {
      this.#syncs += 1;
      return;
    }
    if (table !== "demo" || typeof value !== "object" || value === null) return;
    const { worker, seq } = value as { worker?: unknown; seq?: unknown };
    if (typeof worker !== "number" || typeof seq !== "number") return;
    const count = this.#count(worker);
    count.received += 1;
    if (seq !== count.lastSeq + 1) count.outOfOrder += 1;
    count.lastSeq = seq;
    this.#total += 1;
    this.#onChange?.();
  }

  /** Records what a stopped worker reported sending. */
  setSent(worker: number, report: { sent: number; failed: number }): void {
    const count = this.#count(worker);
    count.sent = report.sent;
    count.failed = report.failed;
    this.#onChange?.();
  }

  /** True when every worker reported, and every event it sent arrived, in order. */
  get complete(): boolean {
    return [...this.#workers.values()].every((c) => c.sent !== undefined && c.received === c.sent && c.outOfOrder === 0 && c.failed === 0);
  }

  /** Resolves when every sent event arrived, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    const arrived = (): boolean => [...this.#workers.values()].every((c) => c.sent === undefined || c.received >= c.sent);
    if (arrived()) return;
    const allArrived = new Promise<void>((resolve) => {
      this.#onChange = () => {
        if (arrived()) resolve();
      };
    });
    await within(allArrived, timeoutMs);
    this.#onChange = undefined;
  }

  /** The live line: per-worker counts, the total and the rate since the last line. */
  progressLine(tty: boolean): string {
    const now = Date.now();
    const rate = Math.round(((this.#total - this.#lastTotal) * 1000) / Math.max(1, now - this.#lastAt));
    this.#lastTotal = this.#total;
    this.#lastAt = now;
    const seconds = Math.round((now - this.#startedAt) / 1000);
    const perWorker = this.#sorted()
      .map(([id, c]) => `w${id} ${c.received}`)
      .join("  ");
    const line = `${seconds}s  ${perWorker}  total ${this.#total} (${rate}/s)${this.#syncs > 0 ? `  syncs ${this.#syncs}` : ""}`;
    return tty ? `\r\u001b[K${line}` : `${line}\n`;
  }

  /** One line per worker and a verdict. */
  summary(): string {
    const lines = this.#sorted().map(
      ([id, c]) =>
        `worker ${id}: sent ${c.sent ?? "?"}, received ${c.received}, lost ${c.sent === undefined ? "?" : Math.max(0, c.sent - c.received)}, out of order ${c.outOfOrder}${c.failed > 0 ? `, refused ${c.failed}` : ""}`,
    );
    lines.push(this.complete ? `all ${this.#total} events arrived, in order per worker` : "some events were lost or reordered");
    return lines.join("\n");
  }

  #count(worker: number): WorkerCount {
    let count = this.#workers.get(worker);
    if (count === undefined) {
      count = { received: 0, lastSeq: 0, outOfOrder: 0, sent: undefined, failed: 0 };
      this.#workers.set(worker, count);
    }
    return count;
  }

  #sorted(): [number, WorkerCount][] {
    return [...this.#workers.entries()].sort(([a], [b]) => a - b);
  }
}
