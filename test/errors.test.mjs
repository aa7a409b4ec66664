import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import * as pubsub from "../dist/index.js";

/** Every coded error class the package exports, instantiated to read its code: [code, class name] pairs. */
function exportedCodes() {
  const codes = [];
  for (const [name, value] of Object.entries(pubsub)) {
    if (typeof value === "function" && value.prototype instanceof pubsub.PubSubError) {
      codes.push([new value("probe").code, name]);
    }
  }
  return codes;
}

/** The codes used by more than one class. */
function duplicates(codes) {
  const seen = new Map();
  for (const [code, name] of codes) seen.set(code, [...(seen.get(code) ?? []), name]);
  return [...seen].filter(([, names]) => names.length > 1).map(([code, names]) => `${code} (${names.join(", ")})`);
}

describe("error codes", () => {
  it("every class has a distinct PUBSUB_ERR_ code", () => {
    const codes = exportedCodes();
    assert.ok(codes.length >= 9);
    for (const [code] of codes) assert.match(code, /^PUBSUB_ERR_[A-Z_]+$/);
    assert.deepEqual(duplicates(codes), [], "codes shared by several classes");
  });

  it("the check for distinct codes catches a code two classes share", () => {
    assert.deepEqual(duplicates([["PUBSUB_ERR_A", "One"], ["PUBSUB_ERR_B", "Two"], ["PUBSUB_ERR_A", "Three"]]), ["PUBSUB_ERR_A (One, Three)"]);
  });

  it("the README documents exactly the codes the package has", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const documented = [...readme.matchAll(/^\| `(PUBSUB_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    const codes = exportedCodes();
    assert.deepEqual([...documented].sort(), codes.map(([code]) => code).sort());
    for (const [code, name] of codes) assert.match(readme, new RegExp(`\\| \`${code}\` \\| \`${name}\` \\|`));
  });

  it("errors keep their cause and report whether the caller is at fault", () => {
    const cause = new Error("inner");
    const err = new pubsub.DriverFactoryError("outer", { cause });
    assert.equal(err.cause, cause);
    assert.equal(err.name, "DriverFactoryError");
    assert.equal(new pubsub.ConfigError("x").isUsageError, true);
    assert.equal(new pubsub.StateError("x").isUsageError, false);
  });
});
