import { Ajv, type ValidateFunction } from "ajv";
import schemaJson from "../../schema/pubsub.schema.json" with { type: "json" };
import type { PubSubOptions } from "../contract.js";

/** A node of the JSON Schema, as far as the loader reads it. */
export interface SchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  enum?: unknown[];
}

/** The JSON Schema of the config file (`schema/pubsub.schema.json`). */
export const configSchema: SchemaNode = schemaJson;

/** The key an editor reads the schema from: allowed in a config, and no option. */
export const SCHEMA_KEY = "$schema";

/** The names of every top-level option, in schema order (`$schema` is none). */
export const optionNames: readonly string[] = Object.freeze(
  Object.keys(configSchema.properties ?? {}).filter((name) => name !== SCHEMA_KEY),
);

let compiled: ValidateFunction<PubSubOptions> | undefined;

/**
 * The compiled validator. It fills schema defaults in place and coerces strings (from
 * INI files, environment variables and `--set`) to the types the schema declares.
 */
export function configValidator(): ValidateFunction<PubSubOptions> {
  compiled ??= new Ajv({
    allErrors: true,
    useDefaults: true,
    coerceTypes: "array",
    strict: true,
  }).compile<PubSubOptions>(schemaJson);
  return compiled;
}

/**
 * The schema node of an option path such as `["drivers", "mine"]`, or undefined when
 * the path names no option.
 */
export function schemaNodeAt(path: readonly string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = configSchema;
  for (const segment of path) {
    if (node === undefined) return undefined;
    const next: SchemaNode | boolean | undefined = node.properties?.[segment] ?? node.additionalProperties;
    node = typeof next === "object" ? next : undefined;
  }
  return node;
}

/** True when the schema node declares `type` (alone or among several). */
export function hasType(node: SchemaNode | undefined, type: string): boolean {
  const declared = node?.type;
  return Array.isArray(declared) ? declared.includes(type) : declared === type;
}
