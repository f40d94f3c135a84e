/**
 * `--tls-cert`/`--tls-key`: a node serving TLS to ioredis and redis-cli
 * (skipped, with the reason, where redis-cli is not installed).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import * as net from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { cleanup, makeTempDir, startCliNode } from "../helpers/process.ts";
import { redisCliSkip, withRedis } from "../helpers/resp.ts";

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

  const tlsOptions = () => ({ port, password: "pw", tls: { rejectUnauthorized: false }, maxRetriesPerRequest: 0 });

  test("redis-cli --tls", { skip: redisCliSkip() }, async () => {
    const { stdout } = await run("redis-cli", [
      "-p", String(port), "--tls", "--cacert", join(dir, "cert.pem"), "--no-auth-warning", "-a", "pw", "ECHO", "secure",
    ]);
    assert.equal(stdout, "secure\n");
  });

  test("ioredis over TLS", async () => {
    assert.equal(await withRedis(tlsOptions(), (redis) => redis.ping()), "PONG");
  });

  test("a plain-text client is closed unanswered and the node serves on", async () => {
    const received = await new Promise<string>((resolve, reject) => {
      let text = "";
      const socket = net.connect(port, "127.0.0.1", () => socket.write("*1\r\n$4\r\nPING\r\n"));
      socket.setTimeout(15_000, () => reject(new Error("the node kept a plain-text connection open for 15 s")));
      socket.on("data", (chunk) => (text += chunk.toString("latin1")));
      socket.on("error", () => {});
      socket.on("close", () => resolve(text));
    });
    assert.doesNotMatch(received, /PONG/);
    assert.equal(await withRedis(tlsOptions(), (redis) => redis.ping()), "PONG");
  });

  test("redis-cli: a plain-text client gets no answer and the node serves on", { skip: redisCliSkip() }, async () => {
    const { stdout, stderr } = await run("redis-cli", ["-p", String(port), "PING"]).catch((e) => e);
    assert.doesNotMatch(String(stdout), /PONG/, String(stderr));
    const { stdout: again } = await run("redis-cli", [
      "-p", String(port), "--tls", "--insecure", "--no-auth-warning", "-a", "pw", "PING",
    ]);
    assert.equal(again, "PONG\n");
  });
});
