/** The `uhaha` command as a process: help, version, usage errors, start-up failures. */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, freePort, makeTempDir, signalProcess, spawnCli, waitFor } from "../helpers/process.ts";
import { UHAHA_VERSION } from "../../api/version.ts";
import { runtimeVersion } from "../../cli/main.ts";
import * as net from "node:net";

async function runCli(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawnCli([...args, "-d", makeTempDir()]);
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

describe("uhaha command", () => {
  after(() => cleanup());

  test("-h prints the four sections and exits 0", async () => {
    const { code, stdout } = await runCli(["-h"]);
    assert.equal(code, 0);
    for (const section of ["Basic options:", "Security options:", "Networking options:", "Advanced options:"]) {
      assert.ok(stdout.includes(section), `missing ${section}`);
    }
    assert.match(stdout, /-a addr +: bind to address +\(default: 127\.0\.0\.1:11001\)/);
  });

  test("-v prints the version line and the runtime's", async () => {
    const { code, stdout } = await runCli(["-v"]);
    assert.equal(code, 0);
    // The child runs on this process's runtime.
    assert.equal(stdout, `uhaha version ${UHAHA_VERSION}\n${runtimeVersion()}\n`);
    assert.match(runtimeVersion(), /^(node v|deno )\d+\.\d+\.\d+$/);
  });

  test("-h lists the built-in apps; a name runs one (its -v), an unknown name is one line listing them, exit 2", async () => {
    const help = await runCli(["-h"]);
    for (const name of ["kvdb", "kv", "ticket", "timeseries"]) assert.match(help.stdout, new RegExp(`^  ${name} +: `, "m"));
    const version = await runCli(["ticket", "-v"]);
    assert.equal(version.stdout, `ticket version 0.1.0\n${runtimeVersion()}\n`);
    const unknown = await runCli(["tickets", "-n", "2"]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, "uhaha: unknown app 'tickets': the built-in apps are kvdb, kv, ticket, timeseries (or give a module file, such as app.ts)\n");
  });

  // A usage error is two lines on stderr, the error in our words and the help hint, and exit code 2.
  const usageErrors: Array<[string[], string]> = [
    [["-n", "-3"], "-n needs a positive integer node id, got '-3'"],
    [["-n"], "-n needs a positive integer node id"],
    [["-a", "-n", "2"], "-a needs an address host:port, got '-n'"],
    [["--tls-cert", "c.pem"], "--tls-cert requires --tls-key"],
    [["--advertise", "10.0.0.1"], "--advertise needs an address host:port, got '10.0.0.1'"],
    [["-a", "127.0.0.1:70000"], "-a needs a port from 1 to 65535, got '70000' in '127.0.0.1:70000'"],
    [["--what"], "unknown flag '--what'"],
    [["-l", "loud"], "-l needs a log level (debug, verb, info, warn or silent), got 'loud'"],
    [["--restore", "s.gz", "-j", "127.0.0.1:11001"], "--restore cannot be used with -j: a restore starts a new single-node cluster"],
  ];
  for (const [argv, message] of usageErrors) {
    test(`exits 2 for ${argv.join(" ")}`, async () => {
      // The flag under test goes last, so runCli's own "-d dir" cannot stand in for a missing value.
      const child = spawnCli(["-d", makeTempDir(), ...argv]);
      const code = await child.exited;
      assert.equal(code, 2, child.stderr());
      assert.equal(child.stderr(), `uhaha: ${message}\nRun 'uhaha -h' for help.\n`);
      assert.equal(child.stdout(), "");
    });
  }

  test("a missing TLS file is named and exits 1", async () => {
    const port = await freePort();
    const { code, stderr } = await runCli(["-a", `127.0.0.1:${port}`, "--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"]);
    assert.equal(code, 1);
    assert.match(stderr, /cannot read --tls-cert '\/nonexistent\/c\.pem'/);
  });

  test("a port in use is reported and exits 1", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { code, stderr } = await runCli(["-a", `127.0.0.1:${port}`]);
      assert.equal(code, 1);
      assert.match(stderr, /cannot start: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  test("SIGTERM stops a running node cleanly", async () => {
    const port = await freePort();
    const child = spawnCli(["-a", `127.0.0.1:${port}`, "-d", makeTempDir()]);
    await waitFor("the listening line", () => child.stderr().includes("server listening at"));
    signalProcess(child.pid, "SIGTERM");
    assert.equal(await child.exited, 0, child.stderr());
    assert.match(child.stderr(), /received SIGTERM, shutting down/);
  });
});
