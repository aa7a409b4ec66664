import type { Stats } from "node:fs";
import { access, constants, stat } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { cosmiconfig, defaultLoaders, type Loader } from "cosmiconfig";
import { ConfigNotFoundError, ConfigSyntaxError, isErrnoException, isPubSubError } from "../errors.js";
import { displayPath } from "./display-path.js";
import { loadIni } from "./ini.js";
import { scanJson } from "./json-text.js";

/** The cosmiconfig module name: files are `pubsub.config.*`, `.pubsubrc*`, package.json `pubsub`. */
export const MODULE_NAME = "pubsub";

/** Where a config is looked for, in each directory from the start up to the project root. */
export const SEARCH_PLACES = Object.freeze([
  "package.json",
  ".pubsubrc",
  ".pubsubrc.json",
  ".pubsubrc.yaml",
  ".pubsubrc.yml",
  ".pubsubrc.ini",
  "pubsub.config.yaml",
  "pubsub.config.yml",
  "pubsub.config.json",
  "pubsub.config.ini",
]);

/** A config file that was found and parsed. */
export interface FoundConfig {
  /** Absolute path of the file. */
  filepath: string;
  /** The parsed, not yet validated, contents; `{}` for an empty file. */
  contents: unknown;
}

/** The file extensions a config may have; a file without one is read as YAML (or JSON). */
export const CONFIG_EXTENSIONS = Object.freeze([".yaml", ".yml", ".json", ".ini"]);

const explorer = cosmiconfig(MODULE_NAME, {
  searchPlaces: [...SEARCH_PLACES],
  searchStrategy: "project",
  cache: false,
  loaders: {
    ".json": withSyntaxErrors("JSON", defaultLoaders[".json"]),
    ".yaml": withSyntaxErrors("YAML", defaultLoaders[".yaml"]),
    ".yml": withSyntaxErrors("YAML", defaultLoaders[".yml"]),
    ".ini": loadIni,
    noExt: withSyntaxErrors("YAML", defaultLoaders.noExt),
  },
});

/**
 * Loads the config at `configPath` when given (it must exist), else searches from
 * `cwd` upwards to the project root (the nearest package.json). Returns null when no
 * file is found: defaults apply then.
 */
export async function findConfig(options: { configPath?: string | undefined; cwd: string }): Promise<FoundConfig | null> {
  if (options.configPath !== undefined) {
    const filepath = resolve(options.cwd, options.configPath);
    await assertReadable(filepath);
    const result = await explorer.load(filepath).catch((err: unknown) => {
      throw !isPubSubError(err) && isErrnoException(err) ? unreadable(filepath, err) : err;
    });
    return { filepath, contents: result === null || result.isEmpty === true ? {} : result.config };
  }
  await assertSearchPlacesRegular(options.cwd);
  const result = await explorer.search(options.cwd);
  if (result === null) return null;
  return { filepath: result.filepath, contents: result.isEmpty === true ? {} : result.config };
}

/**
 * Checks an explicit config path before cosmiconfig reads it: it exists, is a regular
 * file (reading a FIFO would wait forever; a directory or device is no config), can be
 * read, and has an extension a loader exists for.
 */
async function assertReadable(filepath: string): Promise<void> {
  let stats: Stats;
  try {
    stats = await stat(filepath);
    if (stats.isFile()) await access(filepath, constants.R_OK);
  } catch (err: unknown) {
    throw unreadable(filepath, err);
  }
  if (!stats.isFile()) throw notAFile(filepath, stats);
  const ext = extname(filepath);
  if (ext !== "" && !CONFIG_EXTENSIONS.includes(ext)) {
    throw new ConfigSyntaxError(
      `${displayPath(filepath)}: unsupported config format '${ext}'; use ${CONFIG_EXTENSIONS.join(", ")} (or no extension for YAML or JSON)`,
    );
  }
}

/**
 * cosmiconfig reads each search place it finds: a FIFO among them would hang the
 * search. Checks them first, in the folders the "project" strategy searches (from
 * `cwd` up to the nearest one with a package.json).
 */
async function assertSearchPlacesRegular(cwd: string): Promise<void> {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    let isRoot = false;
    for (const place of SEARCH_PLACES) {
      const file = join(dir, place);
      const stats = await stat(file).catch(() => undefined);
      if (stats === undefined) continue;
      if (!stats.isFile() && !stats.isDirectory()) throw notAFile(file, stats);
      if (place === "package.json") isRoot = true;
    }
    if (isRoot || dirname(dir) === dir) return;
  }
}

function notAFile(filepath: string, stats: Stats): ConfigNotFoundError {
  const kind = stats.isDirectory()
    ? "a directory"
    : stats.isFIFO()
      ? "a FIFO"
      : stats.isSocket()
        ? "a socket"
        : stats.isCharacterDevice() || stats.isBlockDevice()
          ? "a device"
          : "not a regular file";
  return new ConfigNotFoundError(`${displayPath(filepath)}: config path is ${kind}, not a regular file; name a YAML, JSON or INI file`);
}

function unreadable(filepath: string, err: unknown): ConfigNotFoundError {
  const code = isErrnoException(err) ? err.code : undefined;
  const why = code === "ENOENT" ? "no such config file" : `config file cannot be read (${code ?? "unknown error"})`;
  return new ConfigNotFoundError(`${displayPath(filepath)}: ${why}; check the --config path (or the configPath option)`, { cause: err });
}

/**
 * Wraps a cosmiconfig loader so a parse error names the file and the line, in one line;
 * JSON's the line and the column, found by {@link scanJson} whatever Node's message says.
 */
function withSyntaxErrors(format: string, loader: Loader): Loader {
  return async (filepath, content) => {
    try {
      return (await loader(filepath, content)) as unknown;
    } catch (err: unknown) {
      if (isPubSubError(err)) throw err;
      const json = format === "JSON" && !(err instanceof RangeError) ? scanJson(content).problem : undefined;
      if (json !== undefined) {
        const { line, column, reason } = json;
        throw new ConfigSyntaxError(`${displayPath(filepath)}:${line}:${column}: JSON syntax error: ${reason}`, { cause: err });
      }
      const { line, reason } = locate(err, content);
      const at = line === undefined ? "" : `:${line}`;
      throw new ConfigSyntaxError(`${displayPath(filepath)}${at}: ${format} syntax error: ${reason}`, { cause: err });
    }
  };
}

/** A js-yaml `YAMLException`: it carries the 0-based line in `mark` and a one-line `reason`. */
interface YamlException extends Error {
  mark: { line: number };
  reason?: unknown;
}

function isYamlException(value: unknown): value is YamlException {
  if (!(value instanceof Error) || !("mark" in value)) return false;
  const { mark } = value;
  return typeof mark === "object" && mark !== null && "line" in mark && typeof mark.line === "number";
}

/** Finds the 1-based line and a one-line reason in a js-yaml or parse-json error. */
function locate(err: unknown, content: string): { line: number | undefined; reason: string } {
  if (err instanceof RangeError) return { line: undefined, reason: "nested too deeply" };
  const message = err instanceof Error ? err.message : String(err);
  if (isYamlException(err)) {
    return { line: err.mark.line + 1, reason: typeof err.reason === "string" && err.reason !== "" ? err.reason : message };
  }
  const lines = message.split("\n").map((l) => l.trim());
  const reasonLine =
    lines.find((l) => / at position \d+/.test(l)) ??
    lines.find((l) => l !== "" && !/^(YAML|JSON) Error in /.test(l) && !/^>?\s*\d*\s*\|/.test(l)) ??
    "unreadable file";
  const reason = reasonLine
    .replace(/ while parsing .*$/, "")
    .replace(/ in JSON at position \d+/, "")
    .trim();
  const framed = /^> (\d+) \|/m.exec(message)?.[1];
  if (framed !== undefined) return { line: Number(framed), reason };
  const position = / at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return { line: content.slice(0, Number(position)).split("\n").length, reason };
  return { line: undefined, reason };
}
