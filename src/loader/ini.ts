import { parse } from "ini";
import { ConfigError, ConfigSyntaxError } from "../errors.js";
import { displayPath } from "./display-path.js";
import { FORBIDDEN_KEYS, fromTextDeep, isPlainObject, setOwn } from "./text-values.js";

/** INI sections whose options are read as pubsub options, besides the top level. */
export const INI_SECTIONS = Object.freeze(["df", "pubsub"] as const);

/**
 * Loads an INI config: options at the top level, in a `[df]` section (as in a
 * Dragonflow config) or in a `[pubsub]` section, later ones winning. Other sections are
 * kept as nested maps, so validation reports them as unknown options. Values are text:
 * the schema's types decide how they are read.
 */
export function loadIni(filepath: string, content: string): Record<string, unknown> {
  checkIniSyntax(filepath, content);
  const parsed = parse(content) as Record<string, unknown>;
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(INI_SECTIONS as readonly string[]).includes(key)) setOwn(merged, key, value);
  }
  for (const section of INI_SECTIONS) {
    const values = Object.hasOwn(parsed, section) ? parsed[section] : undefined;
    if (isPlainObject(values)) for (const [key, value] of Object.entries(values)) setOwn(merged, key, value);
  }
  return fromTextDeep(merged, displayPath(filepath));
}

/**
 * The `ini` parser accepts any line; this check rejects what is not a blank line, a
 * comment, a `[section]` or a `key = value`, naming the file and the line.
 */
function checkIniSyntax(filepath: string, content: string): void {
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) return;
    if (line.startsWith("[")) {
      if (/^\[[^\]]+\]$/.test(line)) {
        refuseKey(filepath, index, line.slice(1, -1));
        return;
      }
      fail(filepath, index, `malformed section header ${JSON.stringify(line)}; write it as [name]`);
    }
    const eq = line.indexOf("=");
    if (eq > 0 && line.slice(0, eq).trim() !== "") {
      refuseKey(filepath, index, line.slice(0, eq));
      return;
    }
    fail(filepath, index, `expected 'key = value' or '[section]' (got ${JSON.stringify(line)})`);
  });
}

/** The `ini` parser drops a `__proto__` key silently; any such key is refused, as in other files. */
function refuseKey(filepath: string, index: number, name: string): void {
  const parts = name.trim().replace(/\[\]$/, "").split(".");
  const key = parts.find((part) => FORBIDDEN_KEYS.includes(part.trim()));
  if (key === undefined) return;
  throw new ConfigError(
    `${displayPath(filepath)}:${index + 1}: ${name.trim()}: key '${key.trim()}' is refused (${FORBIDDEN_KEYS.join(", ")} are never option names); remove it`,
  );
}

function fail(filepath: string, index: number, what: string): never {
  throw new ConfigSyntaxError(`${displayPath(filepath)}:${index + 1}: INI syntax error: ${what}`);
}
