/**
 * The kv example (a replicated Deno KV over RESP) on one node: every
 * command's exact reply forms through ioredis and on the wire, tagged JSON
 * both ways, paging with cursors, atomic checks, and clear errors.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { cleanup } from "../helpers/process.ts";
import { type Cluster, startCluster } from "../helpers/cluster.ts";
import { ask, errorText, firstWrite } from "../helpers/resp.ts";
import { rawConnect } from "./raw_socket.ts";
import { closeAll, track } from "./support.ts";

const VS = /^[0-9a-f]{20}$/;

describe("kv example", { timeout: 120_000 }, () => {
  let cluster: Cluster;
  let redis: Redis;
  let port: number;

  before(async () => {
    cluster = await startCluster("kv", 1);
    port = cluster.nodes[0].port;
    redis = track(cluster.client(cluster.nodes[0]));
    assert.match(String(await firstWrite(redis, "KV.SET", '["warmup"]', "1")), VS);
  });
  after(async () => {
    closeAll();
    await cleanup();
  });

  test("SET answers a versionstamp; GET [value, versionstamp]; DELETE OK; tagged types round-trip", async () => {
    const value = '{"n":{"$bigint":"-12"},"b":{"$bytes":"AP8="},"d":{"$date":"2020-01-02T03:04:05.678Z"},"list":[1,"x",null,true]}';
    const vs = await ask(redis, "KV.SET", '["users",{"$bigint":"1"},{"$bytes":"AQ=="}]', value);
    assert.match(String(vs), VS);
    assert.deepEqual(await ask(redis, "KV.GET", '["users",{"$bigint":"1"},{"$bytes":"AQ=="}]'), [value, vs]);
    assert.equal(await ask(redis, "KV.GET", '["users",1]'), null, "1 (a number) is not 1n (a bigint)");
    const later = await ask(redis, "KV.SET", '["users",{"$bigint":"1"},{"$bytes":"AQ=="}]', '"replaced"');
    assert.ok(String(later) > String(vs), "versionstamps increase");
    assert.equal(await ask(redis, "KV.DELETE", '["users",{"$bigint":"1"},{"$bytes":"AQ=="}]'), "OK");
    assert.equal(await ask(redis, "KV.GET", '["users",{"$bigint":"1"},{"$bytes":"AQ=="}]'), null);
  });

  test("LIST pages with LIMIT and CURSOR, forwards and in REVERSE, in Deno KV's key order", async () => {
    const keys = ['["l",{"$bytes":""}]', '["l",""]', '["l","a"]', '["l",{"$bigint":"-5"}]', '["l",-1.5]', '["l",0]', '["l",false]', '["l",true]'];
    for (const [i, key] of [...keys].reverse().entries()) await ask(redis, "KV.SET", key, String(i));
    const all = await ask(redis, "KV.LIST", '{"prefix":["l"]}') as [string[][], string];
    assert.deepEqual(all[0].map((e) => e[0]), keys.map((k) => JSON.stringify(JSON.parse(k))));
    assert.equal(all[1], "", "the cursor is empty once the listing ran out");
    const seen: string[] = [];
    let cursor = "";
    for (let page = 0; page < 10; page++) {
      const reply = await ask(redis, "KV.LIST", '{"prefix":["l"]}', "LIMIT", "3", "REVERSE", ...(cursor ? ["CURSOR", cursor] : [])) as [string[][], string];
      seen.push(...reply[0].map((e) => e[0]));
      for (const entry of reply[0]) assert.match(entry[2], VS);
      cursor = reply[1];
      if (!cursor) break;
    }
    assert.deepEqual(seen, all[0].map((e) => e[0]).reverse());
    const range = await ask(redis, "KV.LIST", '{"start":["l","a"],"end":["l",0]}') as [string[][], string];
    assert.deepEqual(range[0].map((e) => e[0]), ['["l","a"]', '["l",{"$bigint":"-5"}]', '["l",-1.5]']);
    const tail = await ask(redis, "KV.LIST", '{"prefix":["l"],"start":["l",0]}') as [string[][], string];
    assert.deepEqual(tail[0].map((e) => e[0]), ['["l",0]', '["l",false]', '["l",true]']);
    const head = await ask(redis, "KV.LIST", '{"prefix":["l"],"end":["l",""]}') as [string[][], string];
    assert.deepEqual(head[0].map((e) => e[0]), ['["l",{"$bytes":""}]']);
  });

  test("ATOMIC: checks pass or fail (null bulk); SUM/MIN/MAX on u64; the values are {$u64}", async () => {
    const vs = String(await ask(redis, "KV.SET", '["acct"]', "100"));
    const ok = await ask(redis, "KV.ATOMIC", "CHECK", '["acct"]', vs, "CHECK", '["nobody"]', "null", "SET", '["acct"]', "90", "SUM", '["n"]', "5", "MAX", '["hi"]', '{"$u64":"7"}');
    assert.match(String(ok), VS);
    assert.equal(await ask(redis, "KV.ATOMIC", "CHECK", '["acct"]', vs, "SET", '["acct"]', "80"), null, "a stale versionstamp fails the check");
    assert.deepEqual((await ask(redis, "KV.GET", '["acct"]') as string[])[0], "90");
    await ask(redis, "KV.ATOMIC", "SUM", '["n"]', "18446744073709551615", "MIN", '["hi"]', "3", "DELETE", '["acct"]');
    assert.deepEqual((await ask(redis, "KV.GET", '["n"]') as string[])[0], '{"$u64":"4"}', "sum wraps at 2^64");
    assert.deepEqual((await ask(redis, "KV.GET", '["hi"]') as string[])[0], '{"$u64":"3"}');
    assert.equal(await ask(redis, "KV.GET", '["acct"]'), null);
  });

  test("bad input gets a clear error and the node stays up", async () => {
    assert.match(errorText(await ask(redis, "KV.SET", "[oops", "1")), /the key is not JSON/);
    assert.match(errorText(await ask(redis, "KV.SET", '{"a":1}', "1")), /a key is a JSON array/);
    assert.match(errorText(await ask(redis, "KV.SET", "[]", "1")), /key cannot be empty/);
    assert.match(errorText(await ask(redis, "KV.SET", `["${"x".repeat(3000)}"]`, "1")), /Key too large for write \(max 2048 bytes\)/);
    assert.match(errorText(await ask(redis, "KV.SET", '["k"]', "1", "EXPIREIN", "-1")), /EXPIREIN must be a non-negative integer/);
    assert.match(errorText(await ask(redis, "KV.LIST", '{"prefix":["l"]}', "LIMIT", "0")), /Limit must be a positive integer/);
    assert.match(errorText(await ask(redis, "KV.LIST", '{"prefix":["l"]}', "CURSOR", "!!")), /invalid cursor/);
    assert.match(errorText(await ask(redis, "KV.LIST", '{"start":["b"]}')), /either 'prefix' or both 'start' and 'end'/);
    assert.match(errorText(await ask(redis, "KV.ATOMIC", "SET", '["s"]', '"text"', "SUM", '["s"]', "1")), /^ERR .*U64/);
    assert.match(errorText(await ask(redis, "KV.ATOMIC", "SUM", '["s"]', "-1")), /u64 operand/);
    assert.match(errorText(await ask(redis, "KV.ATOMIC", "FROB", '["s"]')), /unknown KV.ATOMIC op 'frob'/);
    assert.match(errorText(await ask(redis, "KV.GET")), /wrong number of arguments/);
    assert.match(String(await ask(redis, "KV.SET", '["still","up"]', "1")), VS);
  });

  test("on the wire: a bulk versionstamp, +OK, a null array for an absent key, a null bulk for a failed check", async () => {
    const conn = await rawConnect(port);
    try {
      conn.send('*3\r\n$6\r\nKV.SET\r\n$7\r\n["raw"]\r\n$1\r\n1\r\n');
      await conn.expect(/^\$20\r\n[0-9a-f]{20}\r\n/);
      conn.send('*2\r\n$6\r\nKV.GET\r\n$8\r\n["none"]\r\n');
      await conn.expect(/\*-1\r\n$/);
      conn.send('*2\r\n$9\r\nKV.DELETE\r\n$7\r\n["raw"]\r\n');
      await conn.expect(/\+OK\r\n$/);
      conn.send('*4\r\n$9\r\nKV.ATOMIC\r\n$5\r\nCHECK\r\n$8\r\n["none"]\r\n$20\r\n00000000000000000001\r\n');
      await conn.expect(/\$-1\r\n$/);
      conn.send('*2\r\n$7\r\nKV.LIST\r\n$16\r\n{"prefix":["x"]}\r\n');
      await conn.expect(/\*2\r\n\*0\r\n\$0\r\n\r\n$/);
    } finally {
      conn.close();
    }
  });
});
