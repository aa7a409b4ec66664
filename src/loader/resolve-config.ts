import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigError } from "../errors.js";
import type { PubSubConfig } from "../contract.js";
import { displayPath } from "./display-path.js";
import { findConfig } from "./find.js";
import { envLayer, envWarnings, fileLayer, mergeLayers, overridesLayer, type OptionLayer } from "./layers.js";
import { isPlainObject } from "./text-values.js";
import { validateOptions, type Origins } from "./validate.js";

/** Where to find the config and what to lay over it. */
export interface ResolveConfigOptions {
  /** An explicit config file (must exist); relative paths are resolved against `cwd`. */
  configPath?: string | undefined;
  /** Where the search for a config file starts. Default: `process.cwd()`. */
  cwd?: string | undefined;
  /** Environment to read `PUBSUB_<OPTION>` variables from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /**
   * Options that win over the file and the environment: `"key=value"` strings as
   * `--set` takes them, or an object of option values.
   */
  overrides?: readonly string[] | Record<string, unknown> | undefined;
}

/** The effective config and where it came from. */
export interface ResolvedConfig {
  /** Every option, validated, with defaults filled in. Frozen. */
  config: PubSubConfig;
  /** Absolute path of the config file, or null when none was found (defaults apply). */
  filepath: string | null;
  /** The directory relative driver paths resolve against: the file's, else `cwd`. */
  baseDir: string;
  /** Where each option set by the user came from (file, `PUBSUB_X`, `--set x`). */
  origins: Origins;
  /** `PUBSUB_*` variables a typo away from an option's, ignored: "did you mean ...?". */
  warnings: readonly string[];
}

/**
 * Finds, merges and validates the configuration. Precedence, highest first: overrides
 * (`--set`), `PUBSUB_<OPTION>` environment variables, the config file, schema defaults.
 *
 * @example
 * ```ts
 * const { config, filepath } = await resolveConfig({ overrides: ["publisher_port=9000"] });
 * ```
 */
export async function resolveConfig(options: ResolveConfigOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const found = await findConfig({ configPath: options.configPath, cwd });
  const fileOrigin = found === null ? "config" : displayPath(found.filepath);

  const layers: OptionLayer[] = [];
  if (found !== null) {
    if (!isPlainObject(found.contents)) {
      throw new ConfigError(`${fileOrigin}: the file must hold a mapping of option names to values (got ${typeName(found.contents)})`);
    }
    layers.push(fileLayer(found.contents, fileOrigin));
  }
  layers.push(envLayer(env));
  if (options.overrides !== undefined) layers.push(overridesLayer(options.overrides));
  const merged = mergeLayers(layers);

  return {
    config: effective(validateOptions(merged.values, merged.origins, fileOrigin), env),
    filepath: found?.filepath ?? null,
    baseDir: found === null ? cwd : dirname(found.filepath),
    origins: merged.origins,
    warnings: envWarnings(env),
  };
}

/**
 * The effective config of `options`, an object of option values as a config file
 * holds them: validated, every default filled in, frozen. For drivers created without
 * the loader (tests, tools); nothing is read from files or the environment.
 *
 * @throws {@link ConfigError} naming the option and what is wrong with it.
 * @example
 * ```ts
 * const api = createZmqNetworkDriver(withDefaults({ publisher_port: 9000 }), context);
 * ```
 */
export function withDefaults(options: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): PubSubConfig {
  const merged = mergeLayers([overridesLayer(options)]);
  return effective(validateOptions(merged.values, merged.origins, "withDefaults()"), env);
}

function effective(valid: ReturnType<typeof validateOptions>, env: NodeJS.ProcessEnv): PubSubConfig {
  return Object.freeze({
    ...valid,
    publisher_multiproc_socket: valid.publisher_multiproc_socket ?? defaultMultiprocSocket(env),
  }) as PubSubConfig;
}

/**
 * The default multiproc socket: `$XDG_RUNTIME_DIR/pubsub/publisher.sock` where the
 * session has a runtime directory, else `<tmpdir>/pubsub-<uid>/publisher.sock`, so two
 * users on one host never share a socket.
 */
function defaultMultiprocSocket(env: NodeJS.ProcessEnv): string {
  const runtimeDir = env["XDG_RUNTIME_DIR"];
  if (runtimeDir !== undefined && runtimeDir !== "") return join(runtimeDir, "pubsub", "publisher.sock");
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  return join(tmpdir(), `pubsub-${uid}`, "publisher.sock");
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}
