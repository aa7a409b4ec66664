#!/usr/bin/env node
// Generates src/config.generated.ts from schema/pubsub.schema.json, so the
// TypeScript config type is never a second hand-kept copy of the schema.
// `node scripts/gen-config-types.mjs --check` exits 1 when the file is stale.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";

const root = new URL("../", import.meta.url);
const schemaPath = fileURLToPath(new URL("schema/pubsub.schema.json", root));
const outPath = fileURLToPath(new URL("src/config.generated.ts", root));

export async function generate() {
  const schema = JSON.parse(await readFile(schemaPath, "utf8"));
  return compile(schema, "PubSubOptions", {
    bannerComment: "/* Generated from schema/pubsub.schema.json by `npm run gen:types`. Do not edit. */",
    additionalProperties: false,
    style: { semi: true, singleQuote: false },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generate();
  if (process.argv.includes("--check")) {
    const current = await readFile(outPath, "utf8").catch(() => "");
    if (current !== text) {
      console.error(`${outPath} is stale: run npm run gen:types`);
      process.exit(1);
    }
  } else {
    await writeFile(outPath, text);
    console.log(`wrote ${outPath}`);
  }
}
