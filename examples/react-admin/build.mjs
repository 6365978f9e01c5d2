// Bundles src/ with esbuild into dist/ (or --outdir=DIR) beside the files of public/.
// `node build.mjs --serve` rebuilds on change and serves the app on http://127.0.0.1:8000.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import * as esbuild from "esbuild";

const args = process.argv.slice(2);
const serve = args.includes("--serve");
const outdir = (args.find((a) => a.startsWith("--outdir=")) ?? "--outdir=dist").slice("--outdir=".length);

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
cpSync("public", outdir, { recursive: true });

const options = {
  entryPoints: ["src/index.jsx"],
  outfile: `${outdir}/app.js`,
  bundle: true,
  jsx: "automatic",
  target: "es2020",
  minify: !serve,
  sourcemap: serve,
  legalComments: "none",
  define: { "process.env.NODE_ENV": JSON.stringify(serve ? "development" : "production") },
  logLevel: "info",
};

if (serve) {
  const context = await esbuild.context(options);
  await context.watch();
  const { port } = await context.serve({ servedir: outdir, host: "127.0.0.1", port: 8000 });
  console.log(`react-admin example on http://127.0.0.1:${port}/`);
} else {
  await esbuild.build(options);
}
