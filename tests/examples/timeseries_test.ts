/**
 * The timeseries example on a 3-node cluster with `--openreads` (so each
 * replica's state can be read): WRITE/QUERY/RETAIN/STATS replies and errors
 * through ioredis and redis-cli (skipped, with the reason, where it is not
 * installed), replication, snapshot + restart, and
 * retention dropping old points on every node.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { cleanup, waitFor } from "../helpers/process.ts";
import { type Cluster, type ClusterNode, startCluster, stopNode, waitApplied } from "../helpers/cluster.ts";
import { ask, askPort, errorText, firstWrite, loadedRaftInfo, pairs, redisCli, redisCliSkip } from "../helpers/resp.ts";
import { closeAll, track } from "./support.ts";

const NS_PER_MIN = 60_000_000_000n;

describe("timeseries on a 3-node cluster", { timeout: 180_000 }, () => {
  let cluster: Cluster;
  let leader: ClusterNode;
  let redis: Redis;

  const queryEverywhere = (...args: string[]) =>
    Promise.all(cluster.nodes.map((node) => askPort(node.port, "QUERY", ...args)));

  before(async () => {
    cluster = await startCluster("timeseries", 3, ["--openreads"]);
    leader = await cluster.leader();
    redis = track(cluster.client(leader));
    assert.equal(await firstWrite(redis, "WRITE", "warmup", "now", "v=1"), "OK");
  });
  after(async () => {
    closeAll();
    await cleanup();
  });

  test("WRITE, QUERY, RETAIN, STATS replies (ioredis)", async () => {
    assert.equal(await ask(redis, "WRITE", "cpu", "now", "user=1.5", "sys=0.5"), "OK");
    assert.equal(await ask(redis, "WRITE", "cpu", "-5m", "user=2,sys=1"), "OK");
    assert.equal(await ask(redis, "WRITE", "cpu", "-1h30m", "user=3"), "OK");
    assert.equal(await ask(redis, "WRITE", "mem", "now", "used=42"), "OK");

    const all = await ask(redis, "QUERY", "cpu", "-2h", "now", "all") as string[];
    assert.equal(all.length, 3);
    const parsed = all.map((line) => /^cpu (\d+) (\S+)$/.exec(line)!);
    assert.ok(parsed.every(Boolean), all.join(" | "));
    assert.deepEqual(parsed.map((m) => m[2]), ["user=3", "user=2,sys=1", "user=1.5,sys=0.5"], "oldest first, fields joined by commas");
    const times = parsed.map((m) => BigInt(m[1]));
    // Each WRITE is relative to its own machine time, a few ms apart.
    const about = (a: bigint, b: bigint, minutes: bigint) => {
      const off = b - a - minutes * NS_PER_MIN;
      return off > -10_000_000_000n && off < 10_000_000_000n;
    };
    assert.ok(about(times[0], times[2], 90n), "-1h30m is 90 minutes before now");
    assert.ok(about(times[1], times[2], 5n), "-5m is 5 minutes before now");

    assert.deepEqual(await ask(redis, "QUERY", "cpu", "-2h", "now", "1"), [all[0]], "limit");
    assert.deepEqual(await ask(redis, "QUERY", "cpu", "-10m", "now", "all"), all.slice(1), "a relative start");
    assert.deepEqual(await ask(redis, "QUERY", "cpu", String(times[1]), String(times[1]), "all"), [all[1]], "unix ns, inclusive range");
    assert.deepEqual(await ask(redis, "QUERY", "cpu", "-2h", "now", "0"), []);
    assert.deepEqual(await ask(redis, "QUERY", "nosuch", "0", "now", "all"), []);

    // The same point twice is stored once; an explicit timestamp works too.
    assert.equal(await ask(redis, "WRITE", "disk", "1700000000000000000", "free=10"), "OK");
    assert.equal(await ask(redis, "WRITE", "disk", "1700000000000000000", "free=10"), "OK");

    // The disk point is older than the one-week default retention: the next TICK drops it.
    await waitFor("the week-old point to be dropped", async () =>
      pairs(await ask(redis, "STATS")).total_dels === "1");
    assert.deepEqual(await ask(redis, "QUERY", "disk", "0", "now", "all"), []);
    assert.equal(await ask(redis, "RETAIN"), "168h0m0s", "one week by default");
    const stats = pairs(await ask(redis, "STATS"));
    assert.equal(stats.retain, "168h0m0s");
    assert.equal(stats.num_measurements, "3", JSON.stringify(stats)); // warmup, cpu, mem
    assert.equal(stats.num_points, "5");
    assert.equal(stats.total_sets, "6");
    assert.equal(stats.total_dels, "1");
  });

  test("errors: wrong arity, syntax, bad timestamps and limits", async () => {
    const arity = (name: string) => `ERR wrong number of arguments for '${name}' command`;
    for (const args of [["WRITE"], ["WRITE", "cpu", "now"], ["QUERY", "cpu", "0", "now"], ["QUERY", "cpu", "0", "now", "1", "x"], ["RETAIN", "1s", "2s"], ["STATS", "x"]]) {
      assert.equal(errorText(await ask(redis, ...args)), arity(args[0].toLowerCase()), args.join(" "));
    }
    for (const args of [["WRITE", "cpu", "now", "novalue"], ["WRITE", "cpu", "now", "=1"], ["WRITE", "cpu", "now", "a=1,"], ["RETAIN", "forever"], ["RETAIN", "-1s"]]) {
      assert.equal(errorText(await ask(redis, ...args)), "ERR syntax error", args.join(" "));
    }
    assert.match(errorText(await ask(redis, "WRITE", "cpu", "yesterday", "a=1")), /^ERR invalid timestamp 'yesterday'/);
    assert.match(errorText(await ask(redis, "WRITE", "cpu", "99999999999999999999", "a=1")), /^ERR invalid timestamp/);
    assert.match(errorText(await ask(redis, "QUERY", "cpu", "0", "soon", "all")), /^ERR invalid timestamp 'soon'/);
    assert.match(errorText(await ask(redis, "QUERY", "cpu", "0", "now", "-1")), /^ERR limit must be/);
  });

  test("redis-cli transcript; -c follows a follower's MOVED", { skip: redisCliSkip() }, async () => {
    const cli = (...args: string[]) => redisCli(leader.port, "--no-raw", ...args);
    assert.equal(await cli("WRITE", "net", "-1m", "rx=10", "tx=20"), "OK");
    assert.match(await cli("QUERY", "net", "-1h", "now", "all"), /^1\) "net \d{19} rx=10,tx=20"$/);
    assert.equal(await cli("RETAIN"), '"168h0m0s"');
    assert.match(await cli("STATS"), /^ ?1\) "num_measurements"\n ?2\) "\d+"\n ?3\) "num_points"\n[^]*\n10\) "\d+"$/);
    assert.equal(await cli("WRITE", "net"), "(error) ERR wrong number of arguments for 'write' command");
    assert.equal(await cli("VERSION"), '"timeseries version 0.1.0"');

    const follower = cluster.nodes.find((node) => node !== leader)!;
    assert.equal(await redisCli(follower.port, "WRITE", "net", "now", "rx=1"), `MOVED 0 ${leader.address}`);
    assert.equal(await redisCli(follower.port, "-c", "WRITE", "net", "now", "rx=1"), "OK");
    assert.equal((await ask(redis, "QUERY", "net", "-1h", "now", "all") as string[]).length, 2);
  });

  test("followers redirect writes and answer reads locally", async () => {
    const follower = cluster.nodes.find((node) => node !== leader)!;
    assert.equal(errorText(await askPort(follower.port, "WRITE", "rx", "now", "b=1")), `MOVED 0 ${leader.address}`);
    assert.equal(await ask(redis, "WRITE", "rx", "-1m", "a=1"), "OK");
    assert.equal(await ask(redis, "WRITE", "rx", "now", "b=1"), "OK");
    const expected = await ask(redis, "QUERY", "rx", "-1h", "now", "all");
    assert.equal((expected as string[]).length, 2);
    await waitFor("every node to answer the same QUERY", async () =>
      (await queryEverywhere("rx", "-1h", "now", "all")).every((reply) => JSON.stringify(reply) === JSON.stringify(expected)));
  });

  test("snapshot, then SIGTERM and restart a follower: its data is still there", async () => {
    assert.equal(await ask(redis, "RETAIN", "2h"), "OK");
    for (let i = 0; i < 20; i++) assert.equal(await ask(redis, "WRITE", "snap", `-${i}s`, `i=${i}`), "OK");
    await waitApplied(leader, cluster.nodes);
    const expected = await ask(redis, "QUERY", "snap", "-1m", "now", "all") as string[];
    assert.equal(expected.length, 20);

    const follower = cluster.nodes.find((node) => node !== leader)!;
    const snapshot = pairs(await askPort(follower.port, "RAFT", "SNAPSHOT", "NOW"));
    const snapshotIndex = Number(snapshot.id.split("-")[1]);
    await stopNode(follower);
    assert.equal(await ask(redis, "WRITE", "snap", "now", "while=down"), "OK", "two of three nodes still commit");
    await cluster.restart(follower);
    assert.ok(Number((await loadedRaftInfo(follower.port)).last_snapshot_index) >= snapshotIndex);
    await waitFor("the restarted follower to catch up", async () => {
      const reply = await askPort(follower.port, "QUERY", "snap", "-1h", "now", "all");
      return Array.isArray(reply) && reply.length === 21 && JSON.stringify(reply.slice(0, 20)) === JSON.stringify(expected);
    });
    assert.equal(errorText(await askPort(follower.port, "RETAIN")), `MOVED 0 ${leader.address}`, "RETAIN is a write");
    assert.equal(pairs(await askPort(follower.port, "STATS")).retain, "2h0m0s", "the retention survives the restart");
  });

  test("RETAIN 1s: old points disappear on every node", async () => {
    assert.equal(await ask(redis, "WRITE", "ret", "now", "v=1"), "OK");
    assert.equal(await ask(redis, "WRITE", "ret", "-30s", "v=0"), "OK");
    await waitApplied(leader, cluster.nodes);
    assert.ok((await queryEverywhere("ret", "-1h", "now", "all")).every((reply) => (reply as string[]).length === 2));
    const dels = Number(pairs(await ask(redis, "STATS")).total_dels);

    assert.equal(await ask(redis, "RETAIN", "1s"), "OK");
    assert.equal(await ask(redis, "RETAIN"), "1s");
    await waitFor("every point to be dropped on every node", async () => {
      for (const node of cluster.nodes) {
        const stats = pairs(await askPort(node.port, "STATS"));
        if (stats.num_points !== "0" || stats.num_measurements !== "0") return false;
      }
      return true;
    }, 15_000);
    assert.deepEqual(await queryEverywhere("ret", "0", "now", "all"), [[], [], []]);
    assert.ok(Number(pairs(await ask(redis, "STATS")).total_dels) > dels);

    // New points live for about a second.
    assert.equal(await ask(redis, "WRITE", "ret", "now", "v=2"), "OK");
    assert.equal((await ask(redis, "QUERY", "ret", "-1m", "now", "all") as string[]).length, 1);
    await waitFor("the new point to expire", async () => (await ask(redis, "QUERY", "ret", "0", "now", "all") as string[]).length === 0);
  });
});
