/**
 * App commands' arity and flags on a 2-node cluster: exact (n) and at-least
 * (-n) arities answer Redis's error before the handler runs, on the leader
 * and on a follower (before its MOVED, as Redis checks arity before a
 * cluster redirect), through a rewrite and the catch-all; a command that
 * declares none gets every count; COMMAND INFO reports arity and flags.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { cleanup } from "../helpers/process.ts";
import { type Cluster, type ClusterNode, startCluster } from "../helpers/cluster.ts";
import { ask, errorText, firstWrite } from "../helpers/resp.ts";

const wrongCount = (name: string) => `ERR wrong number of arguments for '${name}' command`;

describe("app command arity and flags", { timeout: 120_000 }, () => {
  let cluster: Cluster;
  let leader: ClusterNode;
  let follower: ClusterNode;
  let redis: Redis;

  before(async () => {
    cluster = await startCluster("../tests/commands/arity_app", 2);
    leader = await cluster.leader();
    follower = cluster.nodes.find((node) => node !== leader)!;
    redis = cluster.client(leader);
    assert.equal(await firstWrite(redis, "SET", "k", "v"), "OK");
  });
  after(() => cleanup());

  test("n: exactly n arguments, counting the name; the error names the command in lower case", async () => {
    for (const args of [["SET"], ["SET", "k"], ["sEt", "k", "v", "extra"], ["GET"], ["GET", "k", "x"], ["RUNS", "x"]]) {
      assert.equal(errorText(await ask(redis, ...args)), wrongCount(args[0].toLowerCase()), args.join(" "));
    }
    assert.equal(await ask(redis, "GET", "k"), "v", "the refused SETs wrote nothing");
    assert.equal(await ask(redis, "SET", "k", "w"), "OK");
    assert.equal(await ask(redis, "GET", "k"), "w");
  });

  test("-n: at least n arguments", async () => {
    assert.equal(errorText(await ask(redis, "DEL")), wrongCount("del"));
    assert.equal(await ask(redis, "SET", "a", "1"), "OK");
    assert.equal(await ask(redis, "DEL", "a"), 1);
    assert.equal(await ask(redis, "DEL", "a", "b", "c", "d"), 0);
    assert.equal(errorText(await ask(redis, "NOSUCH")), wrongCount("nosuch"), "the catch-all's arity (-2)");
    assert.equal(await ask(redis, "NOSUCH", "x", "y"), "caught 3");
  });

  test("a command that declares no arity gets every count", async () => {
    for (const count of [1, 2, 7]) {
      assert.equal(await ask(redis, "COUNT", ...Array.from({ length: count - 1 }, (_, i) => `a${i}`)), count);
    }
  });

  test("a wrong count never reaches the handler, also through a rewrite", async () => {
    const before = Number(await ask(redis, "RUNS"));
    assert.equal(errorText(await ask(redis, "TOUCH")), wrongCount("touch"));
    assert.equal(errorText(await ask(redis, "TOUCH", "a", "b")), wrongCount("touch"));
    assert.equal(await ask(redis, "RUNS"), before, "the handler did not run");
    assert.equal(await ask(redis, "TOUCH", "a"), before + 1);
    assert.equal(errorText(await ask(redis, "SETONE", "k")), wrongCount("set"), "the rewritten SET has one argument too few");
    assert.equal(await ask(redis, "GET", "k"), "w");
  });

  test("commands declared in upper or mixed case are found in any case, on the log and on reads", async () => {
    assert.equal(await ask(redis, "upper", "x"), "OK");
    assert.equal(await ask(redis, "LOWER"), "x");
    assert.equal(await ask(redis, "lOwEr"), "x");
    assert.equal(errorText(await ask(redis, "UPPER")), wrongCount("upper"));
  });

  test("pipelined: each reply in its place", async () => {
    const replies = await redis.pipeline([["set", "p", "1"], ["set", "p"], ["get", "p"], ["del"], ["get", "p"]]).exec();
    assert.deepEqual(replies!.map(([error, value]) => error ? error.message : value), [
      "OK",
      wrongCount("set"),
      "1",
      wrongCount("del"),
      "1",
    ]);
  });

  test("a follower answers a wrong count itself, before MOVED; a right count is redirected", async () => {
    const viaFollower = cluster.client(follower);
    const moved = `MOVED 0 ${leader.address}`;
    assert.equal(errorText(await ask(viaFollower, "SET", "k")), wrongCount("set"));
    assert.equal(errorText(await ask(viaFollower, "GET")), wrongCount("get"));
    assert.equal(errorText(await ask(viaFollower, "SET", "k", "v")), moved);
    assert.equal(errorText(await ask(viaFollower, "GET", "k")), moved);
  });

  test("COMMAND INFO reports an app command's arity and flags", async () => {
    assert.deepEqual(await ask(redis, "COMMAND", "INFO", "set", "DEL", "get", "count", "touch", "setone", "nosuch"), [
      ["set", 3, ["write"], 0, 0, 0],
      ["del", -2, ["write"], 0, 0, 0],
      ["get", 2, ["readonly", "fast"], 0, 0, 0],
      ["count", -1, ["readonly"], 0, 0, 0],
      ["touch", 2, [], 0, 0, 0],
      ["setone", 2, ["write"], 0, 0, 0],
      null,
    ]);
    assert.deepEqual(await ask(redis, "COMMAND", "INFO", "ping"), [["ping", -1, [], 0, 0, 0]], "built-ins as before");
  });
});
