import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseFlags, parseHostPort } from "../../node/flags.ts";
import { formatLogLine } from "../../node/logger.ts";
import { UHAHA_VERSION } from "../../node/version.ts";

function flagsOf(argv: string[]) {
  const result = parseFlags(argv);
  assert.ok(result.ok, !result.ok ? result.error : "");
  return result.flags;
}

describe("flags", () => {
  test("defaults match uhaha", () => {
    const flags = flagsOf([]);
    assert.deepEqual(flags.listen, { host: "127.0.0.1", port: 11001 });
    assert.equal(flags.nodeId, "1");
    assert.equal(flags.dataDir, "data");
    assert.equal(flags.logLevel, "info");
    assert.equal(flags.join, undefined);
    assert.equal(flags.nosync, false);
  });

  test("every flag, short and long and Go style", () => {
    const flags = flagsOf([
      "-a", ":11002", "-n", "2", "-d", "/tmp/x", "--join", "127.0.0.1:11001", "-l", "debug",
      "-tls-cert", "c.pem", "--tls-key=k.pem", "--auth", "pw", "--advertise", "10.0.0.1:11002",
      "-nosync", "--openreads", "--localtime", "--nonvoter", "app.ts",
    ]);
    assert.deepEqual(flags.listen, { host: "", port: 11002 });
    assert.equal(flags.nodeId, "2");
    assert.equal(flags.dataDir, "/tmp/x");
    assert.equal(flags.join, "127.0.0.1:11001");
    assert.equal(flags.logLevel, "debug");
    assert.equal(flags.tlsCertPath, "c.pem");
    assert.equal(flags.tlsKeyPath, "k.pem");
    assert.equal(flags.auth, "pw");
    assert.deepEqual(flags.advertise, { host: "10.0.0.1", port: 11002 });
    assert.ok(flags.nosync && flags.openReads && flags.localTime && flags.nonVoter);
    assert.deepEqual(flags.modules, ["app.ts"]);
    assert.equal(flagsOf(["-j", "127.0.0.1:1"]).join, "127.0.0.1:1");
    assert.equal(flagsOf(["--restore", "snap.gz"]).restorePath, "snap.gz");
  });

  test("IPv6 addresses in brackets", () => {
    assert.deepEqual(parseHostPort("[::1]:7000", "-a"), { host: "::1", port: 7000 });
  });

  const bad: Array<[string[], RegExp]> = [
    [["--tls-cert", "c.pem"], /--tls-cert requires --tls-key/],
    [["--tls-key", "k.pem"], /--tls-key requires --tls-cert/],
    [["--advertise", "10.0.0.1"], /--advertise '10.0.0.1' has no port/],
    [["-a", "127.0.0.1:99999"], /invalid port '99999' in -a/],
    [["-a", "127.0.0.1:0"], /must be 1-65535/],
    [["-a", "localhost"], /invalid address 'localhost' for -a/],
    [["-j", "host:x"], /invalid port 'x' in -j/],
    [["--bogus"], /unknown flag '--bogus'/],
    [["-x"], /unknown flag '-x'/],
    [["--restore", "s.gz", "-j", "127.0.0.1:11001"], /--restore cannot be used with -j/],
    [["-l", "loud"], /invalid log level 'loud'/],
    [["-n", "a b"], /invalid node id 'a b'/],
    [["-n", "node1"], /must be an integer from 1 to 2147483647/],
    [["-n", "0"], /invalid node id '0'/],
    [["-a"], /argument missing/],
    [["--auth", ""], /--auth must not be empty/],
  ];
  for (const [argv, message] of bad) {
    test(`rejects ${argv.join(" ")}`, () => {
      const result = parseFlags(argv);
      assert.equal(result.ok, false);
      assert.match((result as { error: string }).error, message);
    });
  }
});

test("log lines have uhaha's shape", () => {
  const at = new Date(2026, 10, 26, 9, 5, 7, 42);
  assert.equal(formatLogLine(123, "L", at, "info", "entering leader state"), "123:L 26 Nov 2026 09:05:07.042 * entering leader state");
  assert.equal(formatLogLine(1, "F", at, "warn", "x"), "1:F 26 Nov 2026 09:05:07.042 # x");
});

test("the version constant equals package.json's", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  assert.equal(UHAHA_VERSION, pkg.version);
});
