import { parse } from "ini";
import { ConfigSyntaxError } from "../errors.js";
import { displayPath } from "./display-path.js";
import { fromTextDeep, isPlainObject } from "./text-values.js";

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
    if (!(INI_SECTIONS as readonly string[]).includes(key)) merged[key] = value;
  }
  for (const section of INI_SECTIONS) {
    const values = parsed[section];
    if (isPlainObject(values)) Object.assign(merged, values);
  }
  return fromTextDeep(merged);
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
      if (/^\[[^\]]+\]$/.test(line)) return;
      fail(filepath, index, `malformed section header ${JSON.stringify(line)}; write it as [name]`);
    }
    const eq = line.indexOf("=");
    if (eq > 0 && line.slice(0, eq).trim() !== "") return;
    fail(filepath, index, `expected 'key = value' or '[section]' (got ${JSON.stringify(line)})`);
  });
}

function fail(filepath: string, index: number, what: string): never {
  throw new ConfigSyntaxError(`${displayPath(filepath)}:${index + 1}: INI syntax error: ${what}`);
}
