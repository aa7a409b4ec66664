import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import * as pubsub from "../dist/index.js";

/** Every coded error class the package exports, instantiated to read its code. */
function exportedCodes() {
  const codes = new Map();
  for (const [name, value] of Object.entries(pubsub)) {
    if (typeof value === "function" && value.prototype instanceof pubsub.PubSubError) {
      codes.set(new value("probe").code, name);
    }
  }
  return codes;
}

describe("error codes", () => {
  it("every class has a distinct PUBSUB_ERR_ code", () => {
    const codes = exportedCodes();
    assert.ok(codes.size >= 9);
    for (const code of codes.keys()) assert.match(code, /^PUBSUB_ERR_[A-Z_]+$/);
  });

  it("the README documents exactly the codes the package has", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const documented = new Set([...readme.matchAll(/^\| `(PUBSUB_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]));
    const codes = exportedCodes();
    assert.deepEqual([...documented].sort(), [...codes.keys()].sort());
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
