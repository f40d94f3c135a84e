/** `--tls-cert`/`--tls-key`: a node serving TLS to redis-cli and ioredis. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { cleanup, makeTempDir, startCliNode } from "../helpers/process.ts";
import { withRedis } from "../helpers/resp.ts";

const run = promisify(execFile);

describe("TLS", () => {
  let dir: string;
  let port: number;
  before(async () => {
    dir = makeTempDir("uhaha-tls-");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    ({ port } = await startCliNode([
      "-l", "warn", "--tls-cert", join(dir, "cert.pem"), "--tls-key", join(dir, "key.pem"), "--auth", "pw",
    ]));
  });
  after(() => cleanup());

  test("redis-cli --tls", async () => {
    const { stdout } = await run("redis-cli", [
      "-p", String(port), "--tls", "--cacert", join(dir, "cert.pem"), "--no-auth-warning", "-a", "pw", "ECHO", "secure",
    ]);
    assert.equal(stdout, "secure\n");
  });

  test("ioredis over TLS", async () => {
    const options = { port, password: "pw", tls: { rejectUnauthorized: false }, maxRetriesPerRequest: 0 };
    assert.equal(await withRedis(options, (redis) => redis.ping()), "PONG");
  });

  test("a plain-text client gets no answer and the node serves on", async () => {
    const { stdout, stderr } = await run("redis-cli", ["-p", String(port), "PING"]).catch((e) => e);
    assert.doesNotMatch(String(stdout), /PONG/, String(stderr));
    const { stdout: again } = await run("redis-cli", [
      "-p", String(port), "--tls", "--insecure", "--no-auth-warning", "-a", "pw", "PING",
    ]);
    assert.equal(again, "PONG\n");
  });
});
