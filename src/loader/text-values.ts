import { hasType, schemaNodeAt } from "./schema.js";

/**
 * Turns an option value written as text (INI, environment variable, `--set`) into the
 * shape the schema expects before validation: lists are comma-separated or JSON, maps
 * are JSON, booleans may be capitalised. Other scalars stay strings: the validator
 * coerces them to the schema's types.
 */
export function fromText(path: readonly string[], text: string): unknown {
  const node = schemaNodeAt(path);
  const trimmed = text.trim();
  if (hasType(node, "array")) {
    if (trimmed.startsWith("[")) return parseJsonOr(trimmed, text);
    return trimmed === "" ? [] : trimmed.split(",").map((item) => item.trim());
  }
  if (hasType(node, "object") && trimmed.startsWith("{")) return parseJsonOr(trimmed, text);
  // Dragonflow (oslo.config) files write True and False.
  if (hasType(node, "boolean") && /^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase();
  return text;
}

/**
 * Applies {@link fromText} to every string value of a parsed INI section, where the
 * parser leaves everything a string.
 */
export function fromTextDeep(values: Record<string, unknown>, path: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const at = [...path, key];
    if (typeof value === "string") out[key] = fromText(at, value);
    else if (isPlainObject(value)) out[key] = fromTextDeep(value, at);
    else out[key] = value;
  }
  return out;
}

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJsonOr(json: string, fallback: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return fallback;
  }
}
