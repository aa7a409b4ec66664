/** Describes a value for an error message: `function`, `null`, `array`, `object with keys a, b`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") {
    const keys = Object.keys(value);
    return keys.length === 0 ? "object with no keys" : `object with keys ${keys.slice(0, 6).join(", ")}`;
  }
  return typeof value;
}

/** The names in `methods` that `value` lacks as functions. */
export function missingMethods(value: unknown, methods: readonly string[]): string[] {
  if (typeof value !== "object" || value === null) return [...methods];
  const record = value as Record<string, unknown>;
  return methods.filter((name) => typeof record[name] !== "function");
}
