/**
 * A node with a bad TLS file refuses to start: one line naming the flag,
 * the file and the problem, exit status 1, and no data directory created.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CertFiles, selfSigned, signedBy } from "../helpers/certs.ts";
import { cleanup, freePort, makeTempDir, spawnCli } from "../helpers/process.ts";

/** Runs a node with `args`; resolves with its exit code and its "cannot start" line (the only one). */
async function refusedStart(args: string[]): Promise<{ code: number | string; line: string; dataDir: string }> {
  const dataDir = join(makeTempDir("uhaha-tls-start-"), "data");
  const child = spawnCli(["-a", `127.0.0.1:${await freePort()}`, "-d", dataDir, "--localtime", ...args]);
  const code = await child.exited;
  const lines = child.stderr().split("\n").filter((line) => line.includes("cannot start"));
  assert.equal(lines.length, 1, child.stderr());
  return { code, line: lines[0].replace(/^.* # /, ""), dataDir };
}

describe("TLS files at start-up", () => {
  let dir: string;
  let good: CertFiles;
  let other: CertFiles;
  let expired: CertFiles;
  let notPem: string;
  before(() => {
    dir = makeTempDir("uhaha-tls-files-");
    good = selfSigned(dir, "good");
    other = selfSigned(dir, "other");
    const ca = selfSigned(dir, "ca", undefined);
    expired = signedBy(dir, "expired", ca, "20200101000000Z", "20200102000000Z");
    notPem = join(dir, "not.pem");
    writeFileSync(notPem, "this is not PEM\n");
  });
  after(() => cleanup());

  const cases: Array<[string, () => string[], (d: string) => string]> = [
    ["a missing certificate", () => ["--tls-cert", join(dir, "missing.pem"), "--tls-key", good.keyPath],
      (d) => `cannot start: cannot read --tls-cert '${d}/missing.pem': ENOENT: no such file or directory, open '${d}/missing.pem'`],
    ["a certificate that is not PEM", () => ["--tls-cert", notPem, "--tls-key", good.keyPath],
      (d) => `cannot start: --tls-cert '${d}/not.pem' is not a PEM certificate file (no BEGIN CERTIFICATE block)`],
    ["a key that is not PEM", () => ["--tls-cert", good.certPath, "--tls-key", notPem],
      (d) => `cannot start: --tls-key '${d}/not.pem' is not a PEM private key file (no BEGIN PRIVATE KEY block)`],
    ["a key that is not the certificate's", () => ["--tls-cert", good.certPath, "--tls-key", other.keyPath],
      (d) => `cannot start: --tls-key '${d}/other-key.pem' is not the private key of the certificate in --tls-cert '${d}/good.pem'`],
    ["an expired certificate", () => ["--tls-cert", expired.certPath, "--tls-key", expired.keyPath],
      (d) => `cannot start: --tls-cert '${d}/expired.pem' expired on 2020-01-02T00:00:00.000Z`],
    ["a CA file that is not PEM", () => ["--tls-cert", good.certPath, "--tls-key", good.keyPath, "--tls-ca", notPem],
      (d) => `cannot start: --tls-ca '${d}/not.pem' is not a PEM certificate file (no BEGIN CERTIFICATE block)`],
    ["an unreadable CA file", () => ["--tls-cert", good.certPath, "--tls-key", good.keyPath, "--tls-ca", dir],
      // (Node ends the OS message with ", read", Deno with ", open '<path>'".)
      (d) => `cannot start: cannot read --tls-ca '${d}': EISDIR: illegal operation on a directory`],
  ];
  for (const [what, args, expected] of cases) {
    test(`${what} stops start-up with one line`, async () => {
      const { code, line, dataDir } = await refusedStart(args());
      assert.equal(code, 1);
      if (what.startsWith("an unreadable")) assert.ok(line.startsWith(expected(dir)), line);
      else assert.equal(line, expected(dir));
      assert.equal(existsSync(dataDir), false, "nothing written before the check");
    });
  }
});
