import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXPIRED, within } from "../agents/deadline.js";
import { isConnectionAware, type Logger, type SubscriberApi } from "../contract.js";
import { ConfigError } from "../errors.js";
import { DriverAgents } from "../loader/driver-agents.js";
import { loadFromConfig, type LoadedPubSub } from "../loader/load.js";
import { resolveConfig, type ResolvedConfig } from "../loader/resolve-config.js";
import { REGISTRY_MESSAGES } from "../registry/messages.js";
import { freePort } from "../testing/ports.js";
import { Changes, until } from "../testing/until.js";
import { demoDatabase, type DemoDatabase } from "./demo-database.js";
import { SceneTally } from "./demo-discovery-tally.js";
import { DemoService, type ServiceExit, type ServiceRecord } from "./demo-service.js";
import { type CommonFlags, commandLogLevel } from "./args.js";
import { createCliLogger } from "./log.js";
import { untilSignal } from "./signals.js";

/** Where the config comes from: `--config` and the `--set`s of the command line. */
export interface DemoSource {
  readonly configPath: string | undefined;
  readonly overrides: readonly string[];
}

/** Options of {@link runDiscoveryDemo}. */
export interface DiscoveryDemoOptions {
  readonly source: DemoSource;
  /** Events per second each service is fed. */
  readonly rate: number;
  /** The command's flags: `--debug`, `--log-level`. */
  readonly flags: CommonFlags;
}

/**
 * The scene's timings, low so that a killed service's row is stale within seconds
 * (Dragonflow's defaults are 300, 180, 1 and 30).
 */
const TIMINGS = Object.freeze({
  publisher_timeout: 2,
  publisher_rate_limit_timeout: 0.5,
  publisher_rate_limit_count: 1,
  monitor_table_poll_time: 0.5,
});
/** How long one step of the scene may take before the demo gives up. */
const STEP_TIMEOUT_MS = 20_000;

/**
 * `pubsub-run demo --discovery`: publisher services register in the database's
 * `publisher` table, come and go (one stopped, one killed), and a subscriber that lists
 * no publishers follows the table. Prints a line per registration, discovery and
 * removal, then the tally; resolves with the exit code: 0 when every event each service
 * sent arrived exactly once, in order, 1 otherwise.
 *
 * @throws {@link ConfigError} (exit 2) when the config cannot make the scene: no
 * database and no etcd to start, `pub_sub_use_multiproc` false, a broker driver.
 */
export async function runDiscoveryDemo(options: DiscoveryDemoOptions): Promise<number> {
  const resolved = await resolveConfig({ configPath: options.source.configPath, overrides: [...options.source.overrides] });
  const logger = await createCliLogger({
    json: false,
    name: "pubsub-demo",
    debug: options.flags.debug,
    level: commandLogLevel(resolved.config, options.flags),
  });
  await checkConfig(resolved, logger);
  const database = await demoDatabase(resolved);
  const scene = new DiscoveryScene(options, database, logger);
  try {
    return await scene.play();
  } finally {
    await scene.close();
    await database.close();
  }
}

/** The scene needs publisher services (multiproc on) whose network driver binds an address of their own. */
async function checkConfig(resolved: ResolvedConfig, logger: Logger): Promise<void> {
  const { config, origins } = resolved;
  if (!config.pub_sub_use_multiproc) {
    throw new ConfigError(
      `pubsub-run demo --discovery: ${origins.get("pub_sub_use_multiproc") ?? "config"}: pub_sub_use_multiproc is false, but the scene runs publisher services, which take events through the multiproc driver; set pub_sub_use_multiproc=true`,
      { option: "pub_sub_use_multiproc" },
    );
  }
  const { description } = await new DriverAgents(resolved, logger).driver("network");
  if (description.topology !== "bind") {
    throw new ConfigError(
      `pubsub-run demo --discovery: ${origins.get("pub_sub_driver") ?? "config"}: pub_sub_driver: ${config.pub_sub_driver} connects to a broker, so its services have no address of their own to register and discover; use a driver that binds, such as zmq_pubsub_driver`,
      { option: "pub_sub_driver" },
    );
  }
}

/** The scene: its services, subscriber, tally and narrative. */
class DiscoveryScene {
  readonly #options: DiscoveryDemoOptions;
  readonly #database: DemoDatabase;
  readonly #logger: Logger;
  readonly #changes = new Changes();
  readonly #startedAt = Date.now();
  /** Carried by this run's events: another demo on the same database is not counted. */
  readonly #run = `${process.pid}-${randomBytes(3).toString("hex")}`;
  readonly #tally: SceneTally;
  readonly #services: DemoService[] = [];
  /** How the services that were meant to end did: `stopped`, `killed`. */
  readonly #ended = new Map<string, string>();
  readonly #exits: string[] = [];
  readonly #registered = new Set<string>();
  readonly #connected = new Set<string>();
  readonly #dropped = new Set<string>();
  readonly #staleRemoved = new Set<string>();
  #interrupted: NodeJS.Signals | undefined;
  #socketDir: string | undefined;
  #subscriber: LoadedPubSub | undefined;

  constructor(options: DiscoveryDemoOptions, database: DemoDatabase, logger: Logger) {
    this.#options = options;
    this.#database = database;
    this.#logger = logger;
    this.#tally = new SceneTally(this.#run, () => this.#changes.notify());
  }

  /** Plays the scene and prints the tally; resolves with the exit code. */
  async play(): Promise<number> {
    this.#intro();
    this.#socketDir = await mkdtemp(join(tmpdir(), "pubsub-demo-"));
    await this.#startSubscriber();
    const signals = untilSignal((signal) => {
      this.#interrupted = signal;
      this.#changes.notify();
      return Promise.resolve();
    });
    let failure: string | undefined;
    try {
      await this.#steps();
    } catch (err: unknown) {
      failure = err instanceof Error ? err.message : String(err);
    } finally {
      signals.dispose();
    }
    process.stdout.write(`tally:\n${this.#tally.summary((name) => this.#label(name))}\n`);
    for (const line of this.#exits) process.stdout.write(`${line}\n`);
    if (failure !== undefined) {
      process.stderr.write(`pubsub-run demo --discovery: the scene stopped: ${failure}\n`);
      return 1;
    }
    return this.#tally.complete && this.#exits.length === 0 ? 0 : 1;
  }

  /** Stops whatever still runs (after a failure or a signal) and removes the sockets' folder. Safe to call twice. */
  async close(): Promise<void> {
    const running = this.#services.filter((service) => service.exit === undefined);
    await Promise.allSettled(running.map((service) => service.closeFeed()));
    await Promise.allSettled(running.map((service) => this.#stopService(service, "SIGTERM")));
    // After the services: a subscriber that leaves a running service is a lost connection to it.
    await this.#subscriber?.close().catch((err: unknown) => this.#logger.warn({ err }, "closing the subscriber failed"));
    this.#subscriber = undefined;
    if (this.#socketDir !== undefined) await rm(this.#socketDir, { recursive: true, force: true });
    this.#socketDir = undefined;
  }

  async #steps(): Promise<void> {
    this.#say("step 1: start services A and B; the subscriber finds both in the table");
    const [a, b] = await Promise.all([this.#startService("A"), this.#startService("B")]);
    await this.#follow([a, b]);

    this.#say("step 2: start service C; the subscriber finds it too");
    const c = await this.#startService("C");
    await this.#follow([c]);

    this.#say("step 3: stop service B (SIGTERM): it deletes its row; the subscriber drops it");
    await this.#retire(b, "SIGTERM");
    await this.#expect(() => this.#dropped.has(b.uri), `the subscriber to drop ${b.name}`);

    const timeout = TIMINGS.publisher_timeout;
    this.#say(`step 4: kill service A (SIGKILL): its row stays until it is ${timeout} s old (publisher_timeout); C removes it`);
    await this.#retire(a, "SIGKILL");
    const staleMs = (timeout + 2 * TIMINGS.monitor_table_poll_time) * 1000 + STEP_TIMEOUT_MS;
    await this.#expect(() => this.#staleRemoved.has(a.uri), `a live service to remove ${a.name}'s stale row`, staleMs);
    await this.#expect(() => this.#dropped.has(a.uri), `the subscriber to drop ${a.name}`);

    this.#say("step 5: C's events keep arriving");
    const before = this.#tally.received(c.name);
    await this.#expect(() => this.#tally.received(c.name) >= before + this.#enough(), `more events from ${c.name}`);
    this.#say(`subscriber: still receiving from C (${this.#tally.counts()})`);

    this.#say("end: stop service C (SIGTERM)");
    await this.#retire(c, "SIGTERM");
  }

  #intro(): void {
    const { description, isPrivate } = this.#database;
    const t = TIMINGS;
    const lines = [
      "pubsub-run demo --discovery: publisher services come and go; a subscriber finds them in the publisher table and follows it",
      `database: ${description}`,
      `timings shortened for the demo: publisher_timeout ${t.publisher_timeout} s, each row refreshed every ${t.publisher_rate_limit_timeout / t.publisher_rate_limit_count} s (publisher_rate_limit_timeout ${t.publisher_rate_limit_timeout}, publisher_rate_limit_count ${t.publisher_rate_limit_count}), monitor_table_poll_time ${t.monitor_table_poll_time} s (defaults: 300, 180, 1, 30)`,
      `services: pubsub-run service processes on 127.0.0.1, each on a port of its own, each fed ${this.#options.rate} events/s through the multiproc driver`,
    ];
    if (!isPrivate) {
      lines.push(
        `note: with these timings the demo's services delete rows of this database's publisher table not refreshed for ${t.publisher_timeout} s: use a database no running service shares`,
      );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  }

  /** The options every process of the scene shares: the database and the short timings. */
  #databaseSets(): string[] {
    return [
      `nb_db_class=${this.#database.nbDbClass}`,
      `remote_db_hosts=${JSON.stringify(this.#database.hosts)}`,
      ...Object.entries(TIMINGS).map(([option, value]) => `${option}=${value}`),
    ];
  }

  async #startSubscriber(): Promise<void> {
    const overrides = [...this.#options.source.overrides, ...this.#databaseSets(), "discover_publishers=true", "publishers=[]", "topics=D"];
    const resolved = await resolveConfig({ configPath: this.#options.source.configPath, overrides });
    this.#subscriber = await loadFromConfig({ resolved, publisher: false, logger: this.#subscriberLogger() });
    const subscriber = this.#subscriber.subscriber as SubscriberApi;
    if (!isConnectionAware(subscriber)) {
      throw new ConfigError(
        `pubsub-run demo --discovery: pub_sub_driver: ${resolved.config.pub_sub_driver}'s subscriber cannot tell when a publisher answered, which the scene waits for; use zmq_pubsub_driver`,
        { option: "pub_sub_driver" },
      );
    }
    subscriber.onConnected((uri) => {
      if (this.#connected.has(uri)) return;
      this.#connected.add(uri);
      this.#say(`subscriber: connected to ${this.#nameOf(uri)}`);
      this.#changes.notify();
    });
    subscriber.initialize((table, _key, _action, value) => this.#tally.take(table, value));
    await subscriber.daemonize();
    this.#say(
      `subscriber: started with no publishers; it reads the publisher table now, every ${TIMINGS.monitor_table_poll_time} s and after a sync, and follows its changes`,
    );
  }

  /** The subscriber's logger: discovery's findings become lines of the narrative; other info only with --debug. */
  #subscriberLogger(): Logger {
    const base = this.#logger;
    const onInfo = (obj: object, msg: string | undefined): void => {
      const uri = (obj as { uri?: unknown }).uri;
      if (typeof uri !== "string") return;
      if (msg === REGISTRY_MESSAGES.discovered) {
        this.#dropped.delete(uri);
        this.#say(`subscriber: discovered ${this.#nameOf(uri)} in the publisher table`);
      } else if (msg === REGISTRY_MESSAGES.left) {
        this.#dropped.add(uri);
        this.#connected.delete(uri);
        this.#say(`subscriber: dropped ${this.#nameOf(uri)}: its row left the table or went stale`);
      }
      this.#changes.notify();
    };
    return {
      debug: (obj, msg) => base.debug(obj, msg),
      info: (obj, msg) => {
        onInfo(obj, msg);
        if (this.#options.flags.debug === true) base.info(obj, msg);
      },
      warn: (obj, msg) => base.warn(obj, msg),
      error: (obj, msg) => base.error(obj, msg),
    };
  }

  /** Starts `pubsub-run service` on a free port and resolves once it registered. */
  async #startService(name: string): Promise<DemoService> {
    const port = await freePort();
    const sets = [
      ...this.#options.source.overrides,
      `publisher_port=${port}`,
      `publisher_multiproc_socket=${join(this.#socketDir ?? tmpdir(), `${name}.sock`)}`,
      "publisher_transport=tcp",
      "publisher_bind_address=127.0.0.1",
      "management_ip=127.0.0.1",
      "monitor_tables=publisher",
      ...this.#databaseSets(),
    ];
    const { configPath } = this.#options.source;
    const service = new DemoService(name, {
      uri: `tcp://127.0.0.1:${port}`,
      args: [...(configPath === undefined ? [] : ["--config", configPath]), ...sets.flatMap((set) => ["--set", set])],
      resolved: await resolveConfig({ configPath, overrides: sets }),
      onRecord: (record) => this.#serviceRecord(name, record),
      onChange: () => this.#changes.notify(),
    });
    this.#services.push(service);
    await this.#expect(() => this.#registered.has(name), `service ${name} to register in the publisher table`);
    return service;
  }

  #serviceRecord(name: string, record: ServiceRecord): void {
    const uri = typeof record["uri"] === "string" ? record["uri"] : "?";
    if (record.msg === REGISTRY_MESSAGES.registered) {
      this.#registered.add(name);
      this.#say(`service ${name}: registered ${uri} in the publisher table`);
    } else if (record.msg === REGISTRY_MESSAGES.staleRemoved) {
      this.#staleRemoved.add(uri);
      this.#say(`service ${name}: removed the stale row of ${this.#nameOf(uri)}`);
    }
  }

  /** Waits for the subscriber to connect to `services`, feeds them, and waits for their events. */
  async #follow(services: readonly DemoService[]): Promise<void> {
    const names = services.map((service) => service.name).join(" and ");
    await this.#expect(() => services.every((service) => this.#connected.has(service.uri)), `the subscriber to connect to ${names}`);
    await Promise.all(services.map((service) => service.feed(this.#run, this.#options.rate)));
    const enough = this.#enough();
    await this.#expect(() => services.every((service) => this.#tally.received(service.name) >= enough), `events from ${names}`);
    this.#say(`subscriber: receiving from ${names} (${this.#tally.counts()})`);
  }

  /** Stops feeding `service`, waits for its events to arrive, then stops it with `signal`. */
  async #retire(service: DemoService, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const report = await service.stopFeeding();
    this.#tally.setSent(service.name, report);
    await this.#expect(() => this.#tally.arrived(service.name), `the ${report.sent} events sent through ${service.name} to arrive`);
    await service.closeFeed();
    this.#ended.set(service.name, signal === "SIGKILL" ? "killed" : "stopped");
    const how = signal === "SIGKILL" ? "killing it (SIGKILL)" : "stopping it (SIGTERM)";
    this.#say(`service ${service.name}: all ${report.sent} of its events arrived; ${how}`);
    const exit = await this.#stopService(service, signal);
    if (signal === "SIGKILL") {
      this.#say(`service ${service.name}: killed; its row stays in the table`);
      return;
    }
    this.#say(`service ${service.name}: exited with code ${exit.code} (a graceful stop deletes the service's row)`);
    if (exit.code !== 0) this.#exits.push(`service ${service.name} exited with code ${exit.code} on SIGTERM; 0 was expected`);
  }

  /** Sends `signal` and waits for the exit; a service still running after the step's time is killed. */
  async #stopService(service: DemoService, signal: "SIGTERM" | "SIGKILL"): Promise<ServiceExit> {
    const exit = await within(service.stop(signal), STEP_TIMEOUT_MS);
    return exit === EXPIRED ? service.stop("SIGKILL") : exit;
  }

  /** Waits for `condition`; fails on a signal, on a service that exited unasked, or after `timeoutMs`. */
  async #expect(condition: () => boolean, what: string, timeoutMs = STEP_TIMEOUT_MS): Promise<void> {
    const check = (): boolean => {
      if (this.#interrupted !== undefined) throw new Error(`interrupted by ${this.#interrupted} while waiting for ${what}`);
      for (const service of this.#services) {
        const { exit } = service;
        if (exit === undefined || this.#ended.has(service.name)) continue;
        const said = service.lastLine === "" ? "" : `: ${service.lastLine}`;
        throw new Error(`service ${service.name} exited (code ${exit.code}, signal ${exit.signal}) while waiting for ${what}${said}`);
      }
      return condition();
    };
    await until(check, what, { changes: this.#changes, timeoutMs, status: () => `received: ${this.#tally.counts()}` });
  }

  /** Events to see from a service before a step counts as receiving: a quarter second's worth. */
  #enough(): number {
    return Math.max(1, Math.round(this.#options.rate / 4));
  }

  #nameOf(uri: string): string {
    const service = this.#services.find((candidate) => candidate.uri === uri);
    return service === undefined ? `${uri} (not one of this demo's services)` : `${service.name} (${uri})`;
  }

  #label(name: string): string {
    const service = this.#services.find((candidate) => candidate.name === name);
    return `${service?.uri ?? "?"}, ${this.#ended.get(name) ?? "running"}`;
  }

  /** One line of the narrative, after the seconds since the start. */
  #say(line: string): void {
    const seconds = ((Date.now() - this.#startedAt) / 1000).toFixed(1).padStart(5);
    process.stdout.write(`${seconds}s  ${line}\n`);
  }
}
