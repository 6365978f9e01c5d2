// Runs the postgrest-js cases of cases.mjs against a running pgrestd and prints one JSON line per case:
//
//   {"case": "<name>", "ok": true, "ms": 12}
//   {"case": "<name>", "ok": false, "ms": 12, "message": "<what failed>"}
//
// and a last line {"summary": {"passed": N, "failed": N}}. The exit code is 0 when every case passed.
//
// Usage: node run.mjs URL [CASE_NAME...]   (only the named cases run when names are given)
// Environment: PGRESTD_TOKEN_ALICE, PGRESTD_TOKEN_BOB: JWTs of the demo's web_user role for the users
// "alice" and "bob"; PGRESTD_TOKEN_EXPIRED: one for alice that has expired.

import { inspect } from "node:util";
import { cases } from "./cases.mjs";

const CASE_TIMEOUT_MS = 15000;

function describe(err) {
  if (err && err.name === "AssertionError") {
    return err.message;
  }
  return err && err.stack ? err.stack : inspect(err);
}

async function main() {
  const [url, ...only] = process.argv.slice(2);
  if (!url) {
    console.error("usage: node run.mjs URL [CASE_NAME...]");
    process.exit(2);
  }
  const ctx = {
    url: url.replace(/\/+$/, ""),
    tokens: {
      alice: process.env.PGRESTD_TOKEN_ALICE,
      bob: process.env.PGRESTD_TOKEN_BOB,
      expired: process.env.PGRESTD_TOKEN_EXPIRED,
    },
  };
  const selected = only.length ? cases.filter((c) => only.includes(c.name)) : cases;
  let passed = 0;
  let failed = 0;
  for (const { name, fn } of selected) {
    const started = Date.now();
    let timer;
    try {
      await Promise.race([
        fn(ctx),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${CASE_TIMEOUT_MS} ms`)),
            CASE_TIMEOUT_MS,
          );
        }),
      ]);
      passed += 1;
      console.log(JSON.stringify({ case: name, ok: true, ms: Date.now() - started }));
    } catch (err) {
      failed += 1;
      console.log(
        JSON.stringify({ case: name, ok: false, ms: Date.now() - started, message: describe(err) }),
      );
    } finally {
      clearTimeout(timer);
    }
  }
  console.log(JSON.stringify({ summary: { passed, failed } }));
  process.exitCode = failed ? 1 : 0;
}

await main();
