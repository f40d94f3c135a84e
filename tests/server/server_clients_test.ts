/**
 * A real node process driven by real clients: redis-cli (Debian's
 * redis-tools; those tests are skipped, with the reason, where it is not
 * installed) and ioredis.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cleanup, type Spawned, startCliNode } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { redisCli, redisCliSkip, withRedis } from "../helpers/resp.ts";
import { replyToJs } from "../../server/resp_reply_parser.ts";

describe("node without a password", () => {
  let node: Spawned;
  let port: number;
  before(async () => ({ node, port } = await startCliNode(["-l", "warn"])));
  after(() => cleanup());

  test("redis-cli: PING, PING msg, ECHO, errors", { skip: redisCliSkip() }, async () => {
    assert.equal(await redisCli(port, "PING"), "PONG");
    assert.equal(await redisCli(port, "ping", "hello world"), "hello world");
    assert.equal(await redisCli(port, "EcHo", "x y"), "x y");
    assert.equal(await redisCli(port, "PING", "a", "b"), "ERR wrong number of arguments for 'ping' command");
    assert.equal(await redisCli(port, "ECHO"), "ERR wrong number of arguments for 'echo' command");
    assert.equal(await redisCli(port, "XYZ", "1"), "ERR unknown command 'xyz'");
    assert.equal(await redisCli(port, "AUTH", "pw"), "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
  });

  test("redis-cli: COMMAND COUNT, COMMAND DOCS and an interactive session", { skip: redisCliSkip() }, async () => {
    const names = (await redisCli(port, "COMMAND", "LIST")).split("\n");
    for (const name of ["ping", "echo", "quit", "auth", "hello", "info", "command", "raft", "cluster"]) {
      assert.ok(names.includes(name), `COMMAND LIST lacks ${name}`);
    }
    assert.equal(await redisCli(port, "COMMAND", "COUNT"), String(names.length));
    assert.match(await redisCli(port, "COMMAND", "DOCS", "echo"), /^echo\ngroup\nconnection\n/);
    // In a pipe, redis-cli reads commands from stdin, one per line.
    const child = execFile("redis-cli", ["-p", String(port)]);
    let out = "";
    child.stdout!.on("data", (chunk) => (out += chunk));
    child.stdin!.end("PING\nECHO piped\n");
    await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(out, "PONG\npiped\n");
  });

  test("raw: QUIT answers OK then closes", async () => {
    const client = await RawClient.connect(port);
    client.send("QUIT");
    assert.deepEqual((await client.read()).map(replyToJs), ["OK"]);
    await client.waitClosed();
  });

  test("raw: inline commands as telnet sends them", async () => {
    const client = await RawClient.connect(port);
    client.write("PING\r\nECHO \"two words\"\r\nping x\n");
    assert.deepEqual((await client.read(3)).map(replyToJs), ["PONG", "two words", "x"]);
    client.close();
  });

  test("ioredis: 10,000 pipelined commands answered in order", async () => {
    await withRedis({ port, maxRetriesPerRequest: 0 }, async (redis) => {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 10_000; i++) {
        if (i % 2 === 0) pipeline.echo(`message-${i}`);
        else pipeline.ping(`ping-${i}`);
      }
      const results = await pipeline.exec();
      assert.equal(results!.length, 10_000);
      results!.forEach(([error, value], i) => {
        assert.equal(error, null);
        assert.equal(value, i % 2 === 0 ? `message-${i}` : `ping-${i}`);
      });
    });
  });

  test("ioredis: a 10 MB argument is echoed intact", async () => {
    const big = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    await withRedis({ port, maxRetriesPerRequest: 0 }, async (redis) => {
      const echoed = await redis.echoBuffer(Buffer.from(big));
      assert.equal(echoed.length, big.length);
      assert.ok(Buffer.from(big).equals(echoed), "echoed bytes differ");
    });
  });

  test("redis-cli: a 10 MB argument is echoed intact", { skip: redisCliSkip() }, async () => {
    const text = "0123456789abcdef".repeat(10 * 1024 * 1024 / 16);
    const child = execFile("redis-cli", ["-p", String(port), "-x", "ECHO"], { maxBuffer: 64 << 20 });
    let out = "";
    child.stdout!.on("data", (chunk) => (out += chunk));
    child.stdin!.end(text);
    await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(out.length, text.length + 1);
    assert.ok(out === text + "\n", "redis-cli -x echo differs");
  });

  test("the node is still the same process", () => {
    assert.equal(node.child.exitCode, null);
  });
});

describe("node with --auth", () => {
  let port: number;
  before(async () => ({ port } = await startCliNode(["-l", "warn", "--auth", "s3cret"])));
  after(() => cleanup());

  test("redis-cli: NOAUTH before AUTH, PONG with -a, error with a wrong password", { skip: redisCliSkip() }, async () => {
    assert.equal(await redisCli(port, "PING"), "NOAUTH Authentication required.");
    assert.equal(await redisCli(port, "--no-auth-warning", "-a", "s3cret", "PING"), "PONG");
    assert.match(await redisCli(port, "--no-auth-warning", "-a", "nope", "PING"), /invalid password/);
  });

  test("raw: AUTH forms, and a wrong AUTH leaves the connection as it was", async () => {
    const client = await RawClient.connect(port);
    client.send("ECHO", "x");
    client.send("AUTH", "wrong");
    client.send("AUTH", "default", "s3cret");
    client.send("ECHO", "x");
    client.send("AUTH", "wrong");
    client.send("ECHO", "still");
    client.send("AUTH", "someone", "s3cret");
    const replies = (await client.read(7)).map(replyToJs).map((v) => v instanceof Error ? `-${v.message}` : v);
    assert.deepEqual(replies, [
      "-NOAUTH Authentication required.",
      "-ERR invalid password",
      "OK",
      "x",
      "-ERR invalid password",
      "still",
      "-ERR invalid password",
    ]);
    client.close();
  });

  test("ioredis with username default and password", async () => {
    assert.equal(await withRedis({ port, username: "default", password: "s3cret" }, (redis) => redis.ping()), "PONG");
  });

  test("QUIT works before AUTH", async () => {
    const client = await RawClient.connect(port);
    client.send("QUIT");
    assert.deepEqual((await client.read()).map(replyToJs), ["OK"]);
    await client.waitClosed();
  });
});
