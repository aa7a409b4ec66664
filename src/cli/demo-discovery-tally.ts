/** The table the discovery demo's events go on. */
export const SCENE_TABLE = "demo";

/** An event of the discovery demo: which run and service sent it, and its number (1, 2, ...). */
export interface SceneEvent {
  readonly run: string;
  readonly service: string;
  readonly seq: number;
}

interface ServiceCount {
  /** The sequence numbers received, each once. */
  readonly seen: Set<number>;
  received: number;
  duplicates: number;
  outOfOrder: number;
  lastSeq: number;
  sent: number | undefined;
  failed: number;
}

/**
 * What the discovery demo's subscriber received from each publisher service, by the
 * service's name: every event exactly once and in order, or how many were lost,
 * duplicated or reordered. Events of other runs (another demo on the same database)
 * are not counted.
 */
export class SceneTally {
  readonly #run: string;
  readonly #services = new Map<string, ServiceCount>();
  readonly #onChange: () => void;

  /**
   * @param run - this run's id, carried by its events.
   * @param onChange - called after every counted event and report.
   */
  constructor(run: string, onChange: () => void) {
    this.#run = run;
    this.#onChange = onChange;
  }

  /** Takes one event from the subscriber's callback; other tables and runs are ignored. */
  take(table: string | null, value: unknown): void {
    if (table !== SCENE_TABLE || typeof value !== "object" || value === null) return;
    const { run, service, seq } = value as Partial<Record<keyof SceneEvent, unknown>>;
    if (run !== this.#run || typeof service !== "string" || typeof seq !== "number") return;
    const count = this.#count(service);
    count.received += 1;
    if (count.seen.has(seq)) count.duplicates += 1;
    else if (seq !== count.lastSeq + 1) count.outOfOrder += 1;
    count.seen.add(seq);
    count.lastSeq = Math.max(count.lastSeq, seq);
    this.#onChange();
  }

  /** Records what a service's feed reported once it stopped sending. */
  setSent(service: string, report: { sent: number; failed: number }): void {
    const count = this.#count(service);
    count.sent = report.sent;
    count.failed = report.failed;
    this.#onChange();
  }

  /** Distinct events received from `service` so far. */
  received(service: string): number {
    return this.#services.get(service)?.seen.size ?? 0;
  }

  /** True once the feed of `service` stopped and every event it sent arrived. */
  arrived(service: string): boolean {
    const count = this.#services.get(service);
    return count?.sent !== undefined && count.seen.size >= count.sent;
  }

  /** True when every service's feed reported, and each of its events arrived exactly once, in order. */
  get complete(): boolean {
    return [...this.#services.values()].every(
      (c) => c.sent !== undefined && c.failed === 0 && c.seen.size === c.sent && c.duplicates === 0 && c.outOfOrder === 0,
    );
  }

  /** Events received so far, per service, by name: `A 120, B 118`. */
  counts(): string {
    const parts = [...this.#services.keys()].sort().map((name) => `${name} ${this.received(name)}`);
    return parts.length === 0 ? "nothing received yet" : parts.join(", ");
  }

  /**
   * One line per service and a verdict.
   * @param label - what to say of a service after its name: its address and how it ended.
   */
  summary(label: (service: string) => string): string {
    const names = [...this.#services.keys()].sort();
    const lines = names.map((name) => {
      const c = this.#count(name);
      const lost = c.sent === undefined ? "?" : String(Math.max(0, c.sent - c.seen.size));
      const refused = c.failed > 0 ? `, refused ${c.failed}` : "";
      return `service ${name} (${label(name)}): sent ${c.sent ?? "?"}, received ${c.received}, lost ${lost}, duplicates ${c.duplicates}, out of order ${c.outOfOrder}${refused}`;
    });
    const total = names.reduce((sum, name) => sum + this.#count(name).seen.size, 0);
    const unreported = names.filter((name) => this.#count(name).sent === undefined);
    if (this.complete)
      lines.push(`all ${total} events sent by the ${names.length} services arrived, each exactly once, in order per service`);
    else if (unreported.length > 0) lines.push(`incomplete: ${unreported.join(", ")} did not stop sending, so what they sent is not known`);
    else lines.push("some events were lost, duplicated or reordered");
    return lines.join("\n");
  }

  #count(service: string): ServiceCount {
    let count = this.#services.get(service);
    if (count === undefined) {
      count = { seen: new Set(), received: 0, duplicates: 0, outOfOrder: 0, lastSeq: 0, sent: undefined, failed: 0 };
      this.#services.set(service, count);
    }
    return count;
  }
}
