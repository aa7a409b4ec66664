// The typed consumer API as an application compiles it: test/types/fixture/consumer.ts
// imports "pubsub-run" (this package's dist/ types) and marks each mistake the types must
// catch with @ts-expect-error, so tsc fails both on a type error and on a mistake that
// is no longer caught.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { it } from "node:test";

const root = fileURLToPath(new URL("../../", import.meta.url));
const tsc = fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url));

it("tsc accepts the typed fixture and every @ts-expect-error in it is needed", async () => {
  const result = await promisify(execFile)(process.execPath, [tsc, "--noEmit", "-p", "test/types/fixture"], { cwd: root }).then(
    () => ({ code: 0, stdout: "" }),
    (err) => ({ code: err.code, stdout: err.stdout }),
  );
  assert.equal(result.code, 0, `tsc failed:\n${result.stdout}`);
});
