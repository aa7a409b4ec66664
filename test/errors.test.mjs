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
    assert.deepEqual(
      duplicates([
        ["PUBSUB_ERR_A", "One"],
        ["PUBSUB_ERR_B", "Two"],
        ["PUBSUB_ERR_A", "Three"],
      ]),
      ["PUBSUB_ERR_A (One, Three)"],
    );
  });

  it("the table of codes and the exported classes match, both ways", () => {
    const fromClasses = Object.fromEntries(exportedCodes());
    const fromTable = Object.fromEntries(Object.entries(pubsub.ERROR_CODES).map(([code, entry]) => [code, entry.className]));
    assert.deepEqual(fromTable, fromClasses);
    for (const { meaning } of Object.values(pubsub.ERROR_CODES))
      assert.match(meaning, /^[a-z`].*[^.]$/, "a meaning is one lower-case clause");
  });

  it("the README's table is the table of codes, row for row, both ways", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const documented = [...readme.matchAll(/^\| `(PUBSUB_ERR_[A-Z_]+)` \|.*$/gm)].map((m) => m[0]);
    const expected = Object.entries(pubsub.ERROR_CODES).map(
      ([code, { className, meaning }]) => `| \`${code}\` | \`${className}\` | ${meaning} |`,
    );
    assert.deepEqual(documented, expected);
  });

  it("the recurring failures share one wording", () => {
    const { errorMessages } = pubsub;
    assert.equal(
      errorMessages.packageMissing("nats_pubsub_driver", "nats"),
      "nats_pubsub_driver needs the package 'nats', which is not installed; install it with: npm install nats",
    );
    assert.equal(
      errorMessages.cannotBind("publisher_port", "tcp://*:1", "address already in use"),
      "publisher_port: cannot bind tcp://*:1: address already in use",
    );
    assert.equal(
      errorMessages.cannotConnect("redis.url", "Redis server", "redis://h:1", "ECONNREFUSED", {
        option: "redis.connect_timeout_ms",
        ms: 10,
      }),
      "redis.url: cannot connect to the Redis server at redis://h:1: ECONNREFUSED; check that it runs and the address and credentials are right (redis.connect_timeout_ms is 10)",
    );
    assert.equal(
      errorMessages.badOption("f.yaml", "publisher_port", "must be <= 65535", "70000"),
      "f.yaml: publisher_port: must be <= 65535 (got 70000)",
    );
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
