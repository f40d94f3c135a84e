/**
 * The kvdb example on a 3-node cluster (default linearizable reads): its
 * commands' replies and errors through ioredis and redis-cli (skipped, with
 * the reason, where it is not installed), redirects on
 * followers, MONITOR, SETRANDQUOTE, and the HTTP service on the same port.
 * Replication to every node, expiry and restarts: kvdb_replicas_test.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { cleanup, waitFor } from "../helpers/process.ts";
import { type Cluster, type ClusterNode, startCluster, stopNode } from "../helpers/cluster.ts";
import { ask, errorText, firstWrite, redisCli, redisCliSkip } from "../helpers/resp.ts";
import { QUOTES } from "../../examples/lib/quotes.ts";
import { closeAll, track } from "./support.ts";
import { rawConnect } from "./raw_socket.ts";

describe("kvdb on a 3-node cluster", { timeout: 180_000 }, () => {
  let cluster: Cluster;
  let leader: ClusterNode;
  let follower: ClusterNode;
  let redis: Redis;

  before(async () => {
    cluster = await startCluster("kvdb", 3);
    leader = await cluster.leader();
    follower = cluster.nodes.find((node) => node !== leader)!;
    redis = track(cluster.client(leader));
    assert.equal(await firstWrite(redis, "SET", "warmup", "1"), "OK");
  });
  after(async () => {
    closeAll();
    await cleanup();
  });

  test("SET, GET, DEL, KEYS, DBSIZE replies (ioredis)", async () => {
    const size = Number(await ask(redis, "DBSIZE"));
    assert.equal(await ask(redis, "SET", "user:1", "ann"), "OK");
    assert.equal(await ask(redis, "SET", "user:2", "bob", "EX", "100"), "OK");
    assert.equal(await ask(redis, "SET", "user:3", "cy", "ex", "100.5"), "OK", "EX is case-insensitive and takes fractions");
    assert.equal(await ask(redis, "SET", "other", "x"), "OK");
    assert.equal(await ask(redis, "GET", "user:1"), "ann");
    assert.equal(await ask(redis, "GET", "nosuchkey"), null);
    assert.equal(await ask(redis, "SET", "user:1", "anne"), "OK", "SET overwrites");
    assert.equal(await ask(redis, "GET", "user:1"), "anne");
    assert.deepEqual(await ask(redis, "KEYS", "user:[12]"), ["user:1", "user:2"]);
    assert.deepEqual(await ask(redis, "KEYS", "nomatch*"), []);
    assert.equal(await ask(redis, "DBSIZE"), size + 4);
    assert.equal(await ask(redis, "DEL", "user:1", "user:2", "nosuchkey"), 2);
    assert.equal(await ask(redis, "DEL", "user:1"), 0);
    assert.equal(await ask(redis, "GET", "user:1"), null);

    // Values are binary-safe.
    const bytes = Buffer.from([0, 1, 2, 255, 13, 10]);
    assert.equal(await redis.call("SET", "bin", bytes), "OK");
    assert.deepEqual(await redis.callBuffer("GET", "bin"), bytes);

    // KEYS is sorted.
    for (const key of ["s:c", "s:a", "s:b"]) await ask(redis, "SET", key, key);
    assert.deepEqual(await ask(redis, "KEYS", "s:*"), ["s:a", "s:b", "s:c"]);
  });

  test("errors: wrong arity and bad SET options", async () => {
    for (const args of [["GET"], ["GET", "a", "b"], ["SET"], ["SET", "k"], ["DEL"], ["KEYS"], ["KEYS", "a", "b"], ["DBSIZE", "x"], ["MONITOR", "x"], ["SETRANDQUOTE"]]) {
      assert.equal(
        errorText(await ask(redis, ...args)),
        `ERR wrong number of arguments for '${args[0].toLowerCase()}' command`,
        args.join(" "),
      );
    }
    for (const options of [["EX", "0"], ["EX"], ["EX", "-1"], ["EX", "abc"], ["PX", "10"], ["NX"], ["EX", "1", "EX"]]) {
      assert.equal(errorText(await ask(redis, "SET", "k", "v", ...options)), "ERR syntax error", options.join(" "));
    }
    assert.equal(await ask(redis, "GET", "k"), null, "a failed SET wrote nothing");
    assert.equal(errorText(await ask(redis, "NOSUCHCMD")), "ERR unknown command 'nosuchcmd'");
  });

  test("followers redirect reads and writes to the leader", async () => {
    const viaFollower = track(cluster.client(follower));
    const moved = `MOVED 0 ${leader.address}`;
    assert.equal(errorText(await ask(viaFollower, "SET", "f", "1")), moved);
    assert.equal(errorText(await ask(viaFollower, "GET", "f")), moved);
    assert.equal(errorText(await ask(viaFollower, "SETRANDQUOTE", "f")), moved, "the rewritten SET redirects");
    viaFollower.disconnect();
  });

  test("redis-cli: a follower's MOVED, and -c follows it", { skip: redisCliSkip() }, async () => {
    const moved = `MOVED 0 ${leader.address}`;
    assert.equal(await redisCli(follower.port, "SET", "f", "followed"), moved);
    assert.equal(await redisCli(follower.port, "-c", "SET", "f", "followed"), "OK");
    assert.equal(await redisCli(follower.port, "-c", "GET", "f"), "followed");
  });

  test("redis-cli transcript", { skip: redisCliSkip() }, async () => {
    const cli = (...args: string[]) => redisCli(leader.port, "--no-raw", ...args);
    assert.equal(await cli("SET", "cli:a", "hello world"), "OK");
    assert.equal(await cli("SET", "cli:b", "2", "EX", "60"), "OK");
    assert.equal(await cli("GET", "cli:a"), '"hello world"');
    assert.equal(await cli("GET", "cli:none"), "(nil)");
    assert.equal(await cli("KEYS", "cli:*"), '1) "cli:a"\n2) "cli:b"');
    assert.match(await cli("DBSIZE"), /^\(integer\) \d+$/);
    assert.equal(await cli("DEL", "cli:a", "cli:b", "cli:none"), "(integer) 2");
    assert.equal(await cli("SET", "cli:a", "1", "EX", "0"), "(error) ERR syntax error");
    assert.equal(await cli("GET"), "(error) ERR wrong number of arguments for 'get' command");
    assert.equal(await cli("VERSION"), '"kvdb version 0.1.0"');
  });

  test("MONITOR streams every client's commands (ioredis monitor and the raw lines)", async () => {
    const monitor = track(await redis.monitor());
    const seen: Array<{ args: string[]; source: string }> = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => seen.push({ args, source }));

    const raw = track(await rawConnect(leader.port));
    raw.send("MONITOR\r\n");
    await raw.expect(/^\+OK\r\n/);

    const other = track(cluster.client(leader));
    assert.equal(await ask(other, "SET", "mon:key", 'say "hi"\n'), "OK");
    assert.equal(await ask(other, "GET", "mon:key"), 'say "hi"\n');
    await waitFor("ioredis to see SET and GET", () =>
      seen.some((e) => e.args[0] === "SET" && e.args[1] === "mon:key") && seen.some((e) => e.args[0] === "GET"));
    assert.match(seen.find((e) => e.args[0] === "SET")!.source, /^127\.0\.0\.1:\d+$/);

    // Redis' format: unix seconds with 6 decimals, [0 addr], each argument quoted and escaped.
    const line = await raw.expect(/\+(\d+\.\d{6}) \[0 (127\.0\.0\.1:\d+)\] "SET" "mon:key" "say \\"hi\\"\\n"\r\n/);
    assert.ok(Math.abs(Number(line[1]) * 1000 - Date.now()) < 60_000, `time ${line[1]}`);
    await raw.expect(/\[0 127\.0\.0\.1:\d+\] "GET" "mon:key"\r\n/);
    raw.close();
    monitor.disconnect();
    other.disconnect();
  });

  test("SETRANDQUOTE sets a quote from the local list, through the log", async () => {
    assert.equal(await ask(redis, "SETRANDQUOTE", "quote"), "OK");
    const quote = await ask(redis, "GET", "quote");
    assert.ok(QUOTES.includes(quote as string), `not a known quote: ${String(quote)}`);
    // Different calls pick independently; over 30 calls more than one quote shows up.
    const picked = new Set<unknown>();
    for (let i = 0; i < 30; i++) {
      await ask(redis, "SETRANDQUOTE", "quote");
      picked.add(await ask(redis, "GET", "quote"));
    }
    assert.ok(picked.size > 1);
  });

  test("HTTP on the leader: PUT, GET, HEAD, DELETE, /_status", async () => {
    const base = `http://${leader.address}`;
    let res = await fetch(`${base}/web:a`, { method: "PUT", body: "hello over http" });
    assert.equal(res.status, 200, await res.text());
    assert.equal(await ask(redis, "GET", "web:a"), "hello over http", "PUT is a SET");
    res = await fetch(`${base}/web:a`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "hello over http");
    res = await fetch(`${base}/web:a`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String("hello over http".length));
    await res.arrayBuffer();
    await ask(redis, "SET", "web:b", "from redis");
    res = await fetch(`${base}/web%3Ab`);
    assert.equal(await res.text(), "from redis", "the path is percent-decoded");
    res = await fetch(`${base}/web:none`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    res = await fetch(`${base}/web:a`, { method: "DELETE" });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(await ask(redis, "GET", "web:a"), null);
    res = await fetch(`${base}/web:ttl?ex=bad`, { method: "PUT", body: "x" });
    assert.equal(res.status, 400);
    assert.equal(await res.text(), "syntax error\n");

    res = await fetch(`${base}/_status`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const status = await res.json() as Record<string, string>;
    assert.equal(status.state, "Leader");
    assert.equal(status.id, String(leader.id));
    assert.ok(Number(status.applied_index) > 0);
    assert.equal(status.num_peers, "2");
  });

  test("HTTP on a follower: 307 to the leader, which fetch follows", async () => {
    const base = `http://${follower.address}`;
    let res = await fetch(`${base}/web:f`, { method: "PUT", body: "via follower", redirect: "manual" });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get("location"), `http://${leader.address}/web:f`);
    assert.equal(res.headers.get("x-uhaha-leader"), leader.address);
    await res.arrayBuffer();
    res = await fetch(`${base}/web:f`, { method: "PUT", body: "via follower" });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    res = await fetch(`${base}/web:f`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "via follower");
    const status = await (await fetch(`${base}/_status`)).json() as Record<string, string>;
    assert.equal(status.state, "Follower");
    assert.equal(status.leader_id, String(leader.id));
  });

  test("HTTP and RESP share the port: keep-alive HTTP, and inline RESP that starts like HTTP", async () => {
    const http = track(await rawConnect(leader.port));
    http.send("PUT /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /raw HTTP/1.1\r\nHost: x\r\n\r\n");
    await http.expect(/^HTTP\/1\.1 200 OK\r\n[^]*?\r\n\r\nOK\nHTTP\/1\.1 200 OK\r\n[^]*?Content-Length: 3\r\n[^]*?\r\n\r\nabc$/);
    http.close();
    // `GET /raw` inline is RESP (no HTTP version): key "/raw" is absent; key "raw" holds the PUT's body.
    const resp = track(await rawConnect(leader.port));
    resp.send("GET /raw\r\nGET raw\r\n");
    await resp.expect(/^\$-1\r\n\$3\r\nabc\r\n$/);
    const bad = track(await rawConnect(leader.port));
    bad.send("GET /x HTTP/1.1\r\nContent-Length: nope\r\n\r\n");
    await bad.expect(/^HTTP\/1\.1 400 Bad Request\r\n/);
    bad.close();
  });

  test("SIGTERM stops a node promptly despite an idle HTTP keep-alive connection and a silent one", async () => {
    const http = track(await rawConnect(follower.port));
    http.send("GET /_status HTTP/1.1\r\nHost: x\r\n\r\n");
    await http.expect(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: keep-alive\r\n/);
    track(await rawConnect(follower.port)); // connected, sends nothing
    const started = Date.now();
    await stopNode(follower, 10_000);
    assert.ok(Date.now() - started < 8_000, `stopping took ${Date.now() - started} ms`);
  });
});
