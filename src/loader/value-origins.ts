import { readFile } from "node:fs/promises";
import { displayPath } from "./display-path.js";
import { keyLines } from "./key-lines.js";
import type { ResolvedConfig } from "./resolve-config.js";
import { configSchema, type SchemaNode } from "./schema.js";
import { isPlainObject } from "./text-values.js";

/**
 * Where each effective option's value came from, by dotted path: `<file>:<line>`,
 * `PUBSUB_X`, `--set x`, `overrides.x`, or `default`. A section with named options
 * (`zmq`, `redis.tls`) is listed option by option; a map of free keys (`drivers`) and a
 * list are one value each.
 */
export async function valueOrigins(resolved: ResolvedConfig): Promise<Record<string, string>> {
  const file = resolved.filepath;
  const fileOrigin = file === null ? undefined : displayPath(file);
  const lines = file === null ? new Map<string, number>() : keyLines(file, await readFile(file, "utf8").catch(() => ""));
  const result: Record<string, string> = {};
  const visit = (node: SchemaNode, value: unknown, path: readonly string[]): void => {
    if (node.properties !== undefined && isPlainObject(value)) {
      for (const [key, child] of Object.entries(node.properties)) {
        if (Object.hasOwn(value, key)) visit(child, value[key], [...path, key]);
      }
      return;
    }
    result[path.join(".")] = originAt(resolved, path, fileOrigin, lines);
  };
  visit(configSchema, resolved.config, []);
  return result;
}

function originAt(
  resolved: ResolvedConfig,
  path: readonly string[],
  fileOrigin: string | undefined,
  lines: ReadonlyMap<string, number>,
): string {
  for (let end = path.length; end > 0; end -= 1) {
    const key = path.slice(0, end).join(".");
    const origin = resolved.origins.get(key);
    if (origin === undefined) continue;
    // The file names every option it sets (see fileLayer): a section it sets without this option leaves it a default.
    if (origin !== fileOrigin) return origin;
    if (end < path.length) return "default";
    const line = lines.get(key) ?? lineOfParent(lines, path);
    return line === undefined ? origin : `${origin}:${String(line)}`;
  }
  return "default";
}

function lineOfParent(lines: ReadonlyMap<string, number>, path: readonly string[]): number | undefined {
  for (let end = path.length - 1; end > 0; end -= 1) {
    const line = lines.get(path.slice(0, end).join("."));
    if (line !== undefined) return line;
  }
  return undefined;
}
