import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { PublisherApi } from "../contract.js";
import { loadFromConfig, type LoadedPubSub } from "../loader/load.js";
import type { ResolvedConfig } from "../loader/resolve-config.js";
import { SCENE_TABLE, type SceneEvent } from "./demo-discovery-tally.js";

/** A JSON log record of the service (pino's): its message and fields. */
export type ServiceRecord = Readonly<Record<string, unknown>> & { readonly msg?: unknown };

/** How a {@link DemoService}'s process ended. */
export interface ServiceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What a {@link DemoService} needs besides its name. */
export interface DemoServiceOptions {
  /** Where subscribers reach it: `tcp://127.0.0.1:<publisher_port>`. */
  readonly uri: string;
  /** The `pubsub-run service` arguments after the command (config, `--set`s). */
  readonly args: readonly string[];
  /** Its config as the feed resolves it: the same file and `--set`s as the process's. */
  readonly resolved: ResolvedConfig;
  /** Called with each JSON record the service logs. */
  readonly onRecord: (record: ServiceRecord) => void;
  /** Called after every record and when the process exits. */
  readonly onChange: () => void;
}

/**
 * One publisher service of the discovery demo: a `pubsub-run service --json` child
 * process, and the feed that publishes numbered events into it through the multiproc
 * driver, as a worker process would.
 */
export class DemoService {
  readonly name: string;
  readonly uri: string;
  readonly #options: DemoServiceOptions;
  readonly #child: ChildProcess;
  readonly #exited: Promise<ServiceExit>;
  #exit: ServiceExit | undefined;
  /** Its last line that is not a JSON record: a start-up error's one line. */
  #lastLine = "";
  #feed: Feed | undefined;

  /** Starts the process; `onRecord` hears it register. */
  constructor(name: string, options: DemoServiceOptions) {
    this.name = name;
    this.uri = options.uri;
    this.#options = options;
    const script = process.argv[1] ?? "";
    // Its own process group: a Ctrl-C on the terminal reaches the demo only, which then
    // stops the services itself (SIGTERM), so that they leave the table as they should.
    this.#child = spawn(process.execPath, [script, "service", "--json", ...options.args], {
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    });
    const onExit = (): void => void this.#child.kill("SIGKILL");
    process.once("exit", onExit);
    this.#exited = new Promise((resolve) => {
      this.#child.once("close", (code, signal) => {
        process.off("exit", onExit);
        this.#exit = { code, signal };
        options.onChange();
        resolve(this.#exit);
      });
    });
    createInterface({ input: this.#child.stderr as NodeJS.ReadableStream }).on("line", (line) => this.#line(line));
  }

  /** How the process ended, or undefined while it runs. */
  get exit(): ServiceExit | undefined {
    return this.#exit;
  }

  /** What the process said last, for messages about it. */
  get lastLine(): string {
    return this.#lastLine;
  }

  /** Starts publishing `rate` events a second into the service. */
  async feed(run: string, rate: number): Promise<void> {
    const pubsub = await loadFromConfig({ resolved: this.#options.resolved, subscriber: false });
    this.#feed = new Feed(pubsub, { run, service: this.name }, rate);
  }

  /** Stops publishing; resolves with how many events were sent and refused (none sent without a feed). */
  async stopFeeding(): Promise<{ sent: number; failed: number }> {
    return (await this.#feed?.stop()) ?? { sent: 0, failed: 0 };
  }

  /** Closes the feed's publisher: call once its events arrived. */
  async closeFeed(): Promise<void> {
    await this.#feed?.close();
  }

  /** Sends `signal` (unless it exited) and resolves with how the process ended. */
  async stop(signal: "SIGTERM" | "SIGKILL"): Promise<ServiceExit> {
    if (this.#exit === undefined) this.#child.kill(signal);
    return this.#exited;
  }

  #line(line: string): void {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      record = undefined;
    }
    if (typeof record === "object" && record !== null) {
      this.#options.onRecord(record as ServiceRecord);
    } else if (line.trim() !== "") {
      this.#lastLine = line;
    }
    this.#options.onChange();
  }
}

/** Publishes `{ run, service, seq }` events on the demo table at a steady rate until stopped. */
class Feed {
  readonly #pubsub: LoadedPubSub;
  readonly #timer: NodeJS.Timeout;
  readonly #pending = new Set<Promise<void>>();
  #seq = 0;
  #failed = 0;
  #stopped: Promise<{ sent: number; failed: number }> | undefined;

  constructor(pubsub: LoadedPubSub, from: Omit<SceneEvent, "seq">, rate: number) {
    this.#pubsub = pubsub;
    const publisher = pubsub.publisher as PublisherApi;
    // Every 10 ms, a hundredth of the rate (and what rounding left behind).
    let due = 0;
    this.#timer = setInterval(() => {
      due += rate / 100;
      for (; due >= 1; due -= 1) {
        this.#seq += 1;
        const value: SceneEvent = { ...from, seq: this.#seq };
        const sending = publisher
          .sendEvent({ table: SCENE_TABLE, key: from.service, action: "set", value })
          .catch(() => {
            this.#failed += 1;
          })
          .finally(() => this.#pending.delete(sending));
        this.#pending.add(sending);
      }
    }, 10);
  }

  stop(): Promise<{ sent: number; failed: number }> {
    this.#stopped ??= (async () => {
      clearInterval(this.#timer);
      await Promise.all(this.#pending);
      return { sent: this.#seq, failed: this.#failed };
    })();
    return this.#stopped;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.#pubsub.close();
  }
}
