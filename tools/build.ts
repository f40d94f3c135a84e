/**
 * Builds `dist/uhaha`: cli.ts (through tools/sea_entry.ts, which adds the
 * TypeScript transform for plugins) bundled by esbuild into one CommonJS file,
 * then injected into a copy of this Node binary as a single-executable
 * application (Node SEA + postject). The result needs no Node, Deno or npm
 * on the machine that runs it.
 *
 * Usage: `npm run build` (or `node --import tsx tools/build.ts`).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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

async function main(): Promise<void> {
  if (process.platform !== "linux") {
    throw new Error(`building the executable is set up for Linux, not ${process.platform}`);
  }
  mkdirSync(dist, { recursive: true });
  const started = Date.now();

  await build({
    entryPoints: [`${root}tools/sea_entry.ts`],
    outfile: bundlePath,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
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
  }));
  execFileSync(process.execPath, ["--experimental-sea-config", configPath], { stdio: "inherit" });

  rmSync(executablePath, { force: true });
  copyFileSync(process.execPath, executablePath);
  chmodSync(executablePath, 0o755);
  await inject(executablePath, "NODE_SEA_BLOB", readFileSync(blobPath), { sentinelFuse: SEA_FUSE });

  const megabytes = (statSync(executablePath).size / 1024 / 1024).toFixed(1);
  console.log(`built ${executablePath} (${megabytes} MB, Node ${process.version}) in ${Date.now() - started} ms`);
}

main().catch((error) => {
  console.error(`build failed: ${(error as Error).message}`);
  process.exit(1);
});
