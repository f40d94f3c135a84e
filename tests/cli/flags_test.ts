import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseFlags } from "../../cli/flags.ts";
import { helpText } from "../../cli/help.ts";
import { parseHostPort } from "../../api/host_port.ts";
import { formatLogLine } from "../../cluster/logger.ts";
import { UHAHA_VERSION } from "../../api/version.ts";

function flagsOf(argv: string[]) {
  const result = parseFlags(argv);
  assert.ok(result.ok, !result.ok ? result.error : "");
  return result.flags;
}

describe("flags", () => {
  test("defaults match uhaha", () => {
    const flags = flagsOf([]);
    assert.deepEqual(flags.listen, { host: "127.0.0.1", port: 11001 });
    assert.equal(flags.nodeId, 1);
    assert.equal(flags.dataDir, "data");
    assert.equal(flags.logLevel, "info");
    assert.equal(flags.join, undefined);
    assert.equal(flags.nosync, false);
  });

  test("every flag, short and long and Go style", () => {
    const flags = flagsOf([
      "-a", ":11002", "-n", "2", "-d", "/tmp/x", "--join", "127.0.0.1:11001", "-l", "debug",
      "-tls-cert", "c.pem", "--tls-key=k.pem", "-tls-ca=ca.pem", "--auth", "pw", "--advertise", "10.0.0.1:11002",
      "-nosync", "--openreads", "--localtime", "--nonvoter", "app.ts",
    ]);
    assert.deepEqual(flags.listen, { host: "", port: 11002 });
    assert.equal(flags.nodeId, 2);
    assert.equal(flags.dataDir, "/tmp/x");
    assert.equal(flags.join, "127.0.0.1:11001");
    assert.equal(flags.logLevel, "debug");
    assert.equal(flags.tlsCertPath, "c.pem");
    assert.equal(flags.tlsKeyPath, "k.pem");
    assert.equal(flags.tlsCaPath, "ca.pem");
    assert.equal(flags.auth, "pw");
    assert.deepEqual(flags.advertise, { host: "10.0.0.1", port: 11002 });
    assert.ok(flags.nosync && flags.openReads && flags.localTime && flags.nonVoter);
    assert.deepEqual(flags.modules, ["app.ts"]);
    assert.equal(flagsOf(["-j", "127.0.0.1:1"]).join, "127.0.0.1:1");
    assert.equal(flagsOf(["--restore", "snap.gz"]).restorePath, "snap.gz");
  });

  test("--leave-on-exit, --reset and --evict-nonvoter-after (a Go duration)", () => {
    const flags = flagsOf(["--leave-on-exit", "--reset", "--evict-nonvoter-after", "1h2m30s"]);
    assert.ok(flags.leaveOnExit && flags.reset);
    assert.equal(flags.evictNonVoterAfterMs, 3_750_000);
    assert.equal(flagsOf(["-evict-nonvoter-after=10m"]).evictNonVoterAfterMs, 600_000);
    assert.equal(flagsOf(["--evict-nonvoter-after", "1.5s"]).evictNonVoterAfterMs, 1_500);
    const defaults = flagsOf([]);
    assert.deepEqual([defaults.leaveOnExit, defaults.reset, defaults.evictNonVoterAfterMs], [false, false, undefined]);
    const needs = "--evict-nonvoter-after needs a duration such as 10m, 1h or 90s (at least 1s)";
    for (const bad of ["10", "10x", "500ms", "-1s", "", "1h-2m", "1000000h"]) {
      const result = parseFlags([`--evict-nonvoter-after=${bad}`]);
      assert.ok(!result.ok && result.error === `${needs}, got '${bad}'`, `${bad}: ${JSON.stringify(result)}`);
    }
    const both = parseFlags(["--reset", "--restore", "s.gz"]);
    assert.ok(!both.ok && both.error === "--reset cannot be used with --restore: --restore needs a node directory that does not exist");
  });

  test("-h and the README's flag table list the operability flags", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const flag of ["--leave-on-exit", "--reset", "--evict-nonvoter-after"]) {
      assert.match(helpText("uhaha"), new RegExp(`^  ${flag} `, "m"), `-h lacks ${flag}`);
      assert.match(readme, new RegExp(`^\\| \`${flag}[ \`]`, "m"), `the README's flag table lacks ${flag}`);
    }
  });

  test("IPv6 addresses in brackets", () => {
    assert.deepEqual(parseHostPort("[::1]:7000"), { host: "::1", port: 7000 });
    assert.deepEqual(flagsOf(["-a", "[::1]:7000"]).listen, { host: "::1", port: 7000 });
  });

  test("Go's flag forms: -name, -name=value, -d=value, -switch=false", () => {
    const flags = flagsOf(["-id=4", "-d=/tmp/x", "-a=:11004", "-l=warn", "-auth=pw", "-nosync=false", "-openreads=true", "-v=0"]);
    assert.equal(flags.nodeId, 4);
    assert.equal(flags.dataDir, "/tmp/x");
    assert.deepEqual(flags.listen, { host: "", port: 11004 });
    assert.equal(flags.logLevel, "warn");
    assert.equal(flags.auth, "pw");
    assert.equal(flags.nosync, false);
    assert.equal(flags.openReads, true);
    assert.equal(flags.showVersion, false);
    assert.equal(flagsOf(["-n3"]).nodeId, 3);
  });

  test("a value that starts with '-' is taken when attached with '='", () => {
    assert.equal(flagsOf(["-d=-data"]).dataDir, "-data");
    assert.equal(flagsOf(["--dir=-data"]).dataDir, "-data");
    assert.equal(flagsOf(["--auth=-secret"]).auth, "-secret");
    assert.equal(flagsOf(["-auth=-secret"]).auth, "-secret");
    assert.deepEqual(flagsOf(["--", "-n"]).modules, ["-n"]);
  });

  // Every usage error: argv → the exact one-line message (main prints "uhaha: " before it and the help hint after).
  const HOST_PORT = "an address host:port";
  const bad: Array<[string[], string]> = [
    // A flag that takes a value, with none.
    [["-a"], `-a needs ${HOST_PORT}`],
    [["--addr"], `--addr needs ${HOST_PORT}`],
    [["-n"], "-n needs a positive integer node id"],
    [["--id"], "--id needs a positive integer node id"],
    [["-d"], "-d needs a directory"],
    [["-d="], "-d needs a directory"],
    [["-j"], `-j needs ${HOST_PORT}`],
    [["--join"], `--join needs ${HOST_PORT}`],
    [["-l"], "-l needs a log level (debug, verb, info, warn or silent)"],
    [["--tls-cert"], "--tls-cert needs a certificate file"],
    [["-tls-cert"], "-tls-cert needs a certificate file"],
    [["--tls-key"], "--tls-key needs a private key file"],
    [["--auth"], "--auth needs a secret"],
    [["--advertise"], `--advertise needs ${HOST_PORT}`],
    [["--restore"], "--restore needs a snapshot file"],
    [["app.ts", "-n"], "-n needs a positive integer node id"],
    // … or with another flag (or a negative number) where the value should be.
    [["-n", "-3"], "-n needs a positive integer node id, got '-3'"],
    [["-n", "--"], "-n needs a positive integer node id, got '--'"],
    [["-a", "-n", "2"], `-a needs ${HOST_PORT}, got '-n'`],
    [["-j", "--nosync"], `-j needs ${HOST_PORT}, got '--nosync'`],
    [["--advertise", "-l"], `--advertise needs ${HOST_PORT}, got '-l'`],
    [["-l", "-v"], "-l needs a log level (debug, verb, info, warn or silent), got '-v'"],
    [["-d", "-n", "2"], "-d needs a directory, got '-n' (write -d=-n if that is the value)"],
    [["--tls-cert", "--tls-key", "k.pem"], "--tls-cert needs a certificate file, got '--tls-key' (write --tls-cert=--tls-key if that is the value)"],
    [["--tls-key", "-x"], "--tls-key needs a private key file, got '-x' (write --tls-key=-x if that is the value)"],
    [["--auth", "-secret"], "--auth needs a secret, got '-secret' (write --auth=-secret if that is the value)"],
    [["--restore", "-j"], "--restore needs a snapshot file, got '-j' (write --restore=-j if that is the value)"],
    // Unknown flags.
    [["--bogus"], "unknown flag '--bogus'"],
    [["--bogus=1"], "unknown flag '--bogus'"],
    [["-x"], "unknown flag '-x'"],
    [["-vx"], "unknown flag '-vx'"],
    [["-bogus"], "unknown flag '-bogus'"],
    [["-x5"], "unknown flag '-x5'"],
    [["---n"], "unknown flag '---n'"],
    [["--help-me"], "unknown flag '--help-me'"],
    // A switch given a value.
    [["--nosync=1x"], "--nosync takes no value, got '1x'"],
    [["-nosync=yes"], "-nosync takes no value, got 'yes'"],
    [["-v=maybe"], "-v takes no value, got 'maybe'"],
    [["--nosync=toString"], "--nosync takes no value, got 'toString'"],
    // Bad addresses.
    [["-a", "localhost"], "-a needs an address host:port, got 'localhost'"],
    [["-a", "::1"], "-a needs an address host:port, got '::1'"],
    [["-a", "127.0.0.1:99999"], "-a needs a port from 1 to 65535, got '99999' in '127.0.0.1:99999'"],
    [["-a", "127.0.0.1:0"], "-a needs a port from 1 to 65535, got '0' in '127.0.0.1:0'"],
    [["--addr", "127.0.0.1:"], "--addr needs a port from 1 to 65535, got '' in '127.0.0.1:'"],
    [["-j", "host:x"], "-j needs a port from 1 to 65535, got 'x' in 'host:x'"],
    [["-j", "10.0.0.1"], "-j needs an address host:port, got '10.0.0.1'"],
    [["--advertise", "10.0.0.1"], "--advertise needs an address host:port, got '10.0.0.1'"],
    [["--advertise", "10.0.0.1:http"], "--advertise needs a port from 1 to 65535, got 'http' in '10.0.0.1:http'"],
    [["--advertise", ":11002"], "--advertise needs a host in host:port, got ':11002'"],
    // Bad node ids and log levels.
    [["-n", "0"], "-n needs a positive integer node id, got '0'"],
    [["-n", "node1"], "-n needs a positive integer node id, got 'node1'"],
    [["-n", "a b"], "-n needs a positive integer node id, got 'a b'"],
    [["-n", "1.5"], "-n needs a positive integer node id, got '1.5'"],
    [["-n", "007"], "-n needs a positive integer node id, got '007'"],
    [["-n", ""], "-n needs a positive integer node id, got ''"],
    [["-n=-3"], "-n needs a positive integer node id, got '-3'"],
    [["-n", "2147483648"], "-n needs a node id from 1 to 2147483647, got '2147483648'"],
    [["--id", "99999999999"], "--id needs a node id from 1 to 2147483647, got '99999999999'"],
    [["-l", "loud"], "-l needs a log level (debug, verb, info, warn or silent), got 'loud'"],
    [["-l", "INFO"], "-l needs a log level (debug, verb, info, warn or silent), got 'INFO'"],
    // Empty values.
    [["-d", ""], "-d needs a directory, got ''"],
    [["--auth", ""], "--auth needs a secret, got ''"],
    [["--restore", ""], "--restore needs a snapshot file, got ''"],
    // Flags that go together, or not.
    [["--tls-cert", "c.pem"], "--tls-cert requires --tls-key"],
    [["--tls-key", "k.pem"], "--tls-key requires --tls-cert"],
    [["--tls-ca", "ca.pem"], "--tls-ca requires --tls-cert and --tls-key"],
    [["--tls-ca"], "--tls-ca needs a CA certificate file"],
    [["--tls-cert", "c.pem", "--tls-key", ""], "--tls-key needs a private key file, got ''"],
    [["--restore", "s.gz", "-j", "127.0.0.1:11001"], "--restore cannot be used with -j: a restore starts a new single-node cluster"],
  ];
  for (const [argv, message] of bad) {
    test(`rejects ${JSON.stringify(argv)}`, () => {
      const result = parseFlags(argv);
      assert.equal(result.ok, false);
      assert.equal((result as { error: string }).error, message);
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
