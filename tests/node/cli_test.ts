/** The `uhaha` command as a process: help, version, usage errors, start-up failures. */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, freePort, makeTempDir, signalProcess, spawnCli, waitFor } from "../helpers/process.ts";
import { UHAHA_VERSION } from "../../node/version.ts";
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

  test("-v prints the version line", async () => {
    const { code, stdout } = await runCli(["-v"]);
    assert.equal(code, 0);
    assert.equal(stdout, `uhaha version ${UHAHA_VERSION}\n`);
  });

  const usageErrors: Array<[string[], string]> = [
    [["--tls-cert", "c.pem"], "--tls-cert requires --tls-key"],
    [["--advertise", "10.0.0.1"], "--advertise '10.0.0.1' has no port"],
    [["-a", "127.0.0.1:70000"], "invalid port '70000'"],
    [["--what"], "unknown flag '--what'"],
    [["--restore", "s.gz", "-j", "127.0.0.1:11001"], "--restore cannot be used with -j"],
  ];
  for (const [argv, message] of usageErrors) {
    test(`exits 2 for ${argv.join(" ")}`, async () => {
      const { code, stderr } = await runCli(argv);
      assert.equal(code, 2);
      assert.ok(stderr.includes(`uhaha: ${message}`), stderr);
      assert.ok(stderr.includes("Run 'uhaha -h' for help."));
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
