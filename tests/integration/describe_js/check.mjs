// Parses a description with its format's own parser: `node check.mjs mermaid|raml < text`.
// Prints one JSON line: {"ok": true} or {"ok": false, "errors": [...]}. RAML warnings are not errors.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const kind = process.argv[2];
const text = readFileSync(0, "utf8");
const report = (errors) => console.log(JSON.stringify({ ok: errors.length === 0, errors }));

if (kind === "mermaid") {
  const { default: mermaid } = await import("mermaid");
  try {
    const parsed = await mermaid.parse(text);
    report(parsed && parsed.diagramType === "er" ? [] : [`not an ER diagram: ${JSON.stringify(parsed)}`]);
  } catch (error) {
    report([String(error.message || error)]);
  }
} else if (kind === "raml") {
  const raml = createRequire(import.meta.url)("raml-1-parser");
  const api = raml.parseRAMLSync(text, {});
  report(api.errors().filter((e) => !e.isWarning).map((e) => `${e.code} at line ${e.range.start.line}: ${e.message}`));
} else {
  report([`unknown kind ${kind}`]);
}
