/**
 * --proxy: a follower runs what needs the leader there and answers with the
 * leader's reply. redis-cli without -c runs the ticket and kvdb examples
 * against a follower (kvdb with --auth, so the proxy authenticates to the
 * leader); 10,000 pipelined commands through a follower answer exactly as a
 * sequential model; and killing the leader mid-stream gives errors, never
 * a wrong answer.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, signalProcess } from "../helpers/process.ts";
import { type Cluster, type ClusterNode, leaderAmong, startCluster } from "../helpers/cluster.ts";
import { askPort, firstWrite, redisCli, redisCliSkip } from "../helpers/resp.ts";
import { anyError, notYetText, untilAccepted } from "../helpers/until_accepted.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { concatBytes } from "../helpers/chunks.ts";
import { encodeCommand } from "../../server/resp_writer.ts";
import { ORDER_EXAMPLE, SequentialModel, show } from "./order_model.ts";
import { authLeader, startAuthCluster } from "./auth_cluster.ts";

/** Runs redis-cli (never -c) and returns the session as a transcript line pair. */
async function session(port: number, transcript: string[], ...args: string[]): Promise<string> {
  const out = await redisCli(port, ...args);
  transcript.push(`$ redis-cli -p ${port} ${args.join(" ")}`, out);
  return out;
}

function followerOf(cluster: Cluster, leader: ClusterNode): ClusterNode {
  return cluster.nodes.find((node) => node !== leader)!;
}

describe("--proxy: redis-cli without -c against a follower", { timeout: 180_000 }, () => {
  after(() => cleanup());

  test("ticket: TICKET through a follower answers the next number; without --proxy it is MOVED", { skip: redisCliSkip() }, async () => {
    const cluster = await startCluster("ticket", 3, ["--proxy"]);
    const leader = await cluster.leader();
    const first = Number(await firstWrite(cluster.client(leader), "TICKET"));
    const follower = followerOf(cluster, leader);
    const transcript: string[] = [];
    assert.equal(await session(follower.port, transcript, "TICKET"), String(first + 1));
    assert.equal(await session(follower.port, transcript, "TICKET"), String(first + 2));
    assert.equal(await session(follower.port, transcript, "RAFT", "LEADER"), leader.address);
    assert.equal(await session(follower.port, transcript, "ROLE-IS-NOT-A-COMMAND"), "ERR unknown command 'role-is-not-a-command'");
    console.log(`ticket through follower ${follower.address} (leader ${leader.address}):\n${transcript.join("\n")}`);
    // The node a proxy connects to never forwards again: a PROXYHOP connection to a follower is redirected.
    const raw = await RawClient.connect(follower.port);
    try {
      assert.equal(show(await raw.call("PROXYHOP")), "+OK");
      assert.equal(show(await raw.call("TICKET")), `-MOVED 0 ${leader.address}`);
    } finally {
      raw.close();
    }
  });

  test("kvdb with --auth: SET, GET, DEL, KEYS, DBSIZE, MACHINE, BARRIER through a follower", { skip: redisCliSkip() }, async () => {
    const nodes = await startAuthCluster("kvdb", 3, "s3cret", ["--proxy"]);
    const leader = await authLeader(nodes, "s3cret");
    const follower = nodes.find((node) => node !== leader)!;
    const transcript: string[] = [];
    const cli = (...args: string[]) => session(follower.port, transcript, "--no-auth-warning", "-a", "s3cret", ...args);
    await untilAccepted(() => cli("SET", "greeting", "hello"), { retryable: notYetText, what: "SET through the follower" });
    assert.equal(await cli("GET", "greeting"), "hello");
    assert.equal(await cli("SET", "n", "1"), "OK");
    assert.equal(await cli("KEYS", "*"), "greeting\nn");
    assert.equal(await cli("DBSIZE"), "2");
    assert.equal(await cli("DEL", "n"), "1");
    assert.equal(await cli("GET", "n"), "");
    assert.match(await cli("MACHINE"), /^boottime\n\d+\nnow\n\d+\nuptime\n\d+$/);
    assert.equal(await cli("BARRIER"), "OK");
    assert.equal(await redisCli(follower.port, "SET", "x", "1"), "NOAUTH Authentication required.", "the client still needs AUTH on the follower");
    console.log(`kvdb through follower ${follower.address} (leader ${leader.address}):\n${transcript.join("\n")}`);
  });
});

describe("--proxy: order and failures through a follower", { timeout: 240_000 }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(ORDER_EXAMPLE, 3, ["--proxy"]);
    const leader = await cluster.leader();
    await firstWrite(cluster.client(leader), "SET", "warm", "up");
  });
  after(() => cleanup());

  test("10,000 pipelined SET/GET/INCR/INCRLATER/DEL through a follower answer as the sequential model", async () => {
    const leader = await cluster.leader();
    const follower = followerOf(cluster, leader);
    const model = new SequentialModel();
    const keys = ["p:a", "p:b", "p:c"];
    const commands: string[][] = [];
    for (let i = 0; i < 10_000; i++) {
      const key = keys[(i * 7 + (i >> 3)) % keys.length];
      const pick = (i * 2654435761) % 100;
      if (pick < 30) commands.push(["SET", key, String(i % 13)]);
      else if (pick < 60) commands.push(["GET", key]);
      else if (pick < 88) commands.push(["INCR", key]);
      else if (pick < 95) commands.push(["INCRLATER", key]);
      else commands.push(["DEL", key]);
    }
    const expected = commands.map((args) => model.reply(args));
    const client = await RawClient.connect(follower.port);
    try {
      const started = Date.now();
      client.write(concatBytes(commands.map((args) => encodeCommand(args))));
      const replies = (await client.read(commands.length, 120_000)).map(show);
      console.log(`10,000 pipelined commands through follower ${follower.id} in ${Date.now() - started} ms`);
      for (let i = 0; i < commands.length; i++) {
        assert.equal(replies[i], expected[i], `command ${i}: ${commands[i].join(" ")}`);
      }
    } finally {
      client.close();
    }
  });

  test("killing the leader mid-stream: errors, never a wrong answer; the stream resumes on the new leader", async () => {
    const leader = await cluster.leader();
    const follower = followerOf(cluster, leader);
    const clients = await Promise.all([0, 1, 2].map(() => RawClient.connect(follower.port)));
    let killed = false;
    let errorsSeen = 0;
    let okAfterKill = 0;
    const errorKinds = new Set<string>();
    const checks = clients.map(async (client, c) => {
      const key = `kill:${c}`;
      let sent = 0; // INCRs sent so far: an upper bound of the value
      let acknowledged = 0; // the last value an INCR answered: a lower bound from then on
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !(killed && okAfterKill >= 300)) {
        const batch: string[][] = [];
        for (let i = 0; i < 40; i++) batch.push(i % 4 === 3 ? ["GET", key] : ["INCR", key]);
        client.write(concatBytes(batch.map((args) => encodeCommand(args))));
        const replies = await client.read(batch.length, 30_000);
        assert.equal(replies.length, batch.length, "every command is answered");
        // A batch of nothing but errors (no leader yet): give the election a moment.
        if (replies.every((reply) => reply.type === "error")) await new Promise((resolve) => setTimeout(resolve, 20));
        for (let i = 0; i < batch.length; i++) {
          const reply = replies[i];
          const isIncr = batch[i][0] === "INCR";
          if (isIncr) sent++;
          if (reply.type === "error") {
            errorsSeen++;
            errorKinds.add(reply.text.replace(/\(leader at [^)]*\)|\d+\.\d+\.\d+\.\d+:\d+/g, "…").slice(0, 90));
            assert.match(reply.text, /^(TRYAGAIN|CLUSTERDOWN|MOVED|TRY) /, `an error a client can act on: ${reply.text}`);
            continue;
          }
          if (killed) okAfterKill++;
          const shown = show(reply);
          const value = isIncr ? (reply.type === "integer" ? Number(reply.value) : NaN) : shown === "nil" ? 0 : Number(shown.slice(1));
          assert.ok(value >= acknowledged && value <= sent, `${batch[i].join(" ")} answered ${show(reply)}: must be in [${acknowledged}, ${sent}]`);
          if (isIncr) {
            assert.ok(value > acknowledged, `INCR answered ${value} after ${acknowledged}`);
            acknowledged = value;
          }
        }
      }
      return { key, acknowledged, sent };
    });
    // Let the stream run, then kill the leader mid-stream.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    signalProcess(leader.process.pid, "SIGKILL");
    killed = true;
    const results = await Promise.all(checks);
    clients.forEach((client) => client.close());
    const survivors = cluster.nodes.filter((node) => node !== leader);
    const next = await leaderAmong(survivors, 30_000);
    console.log(`leader ${leader.id} killed; new leader ${next.id}; ${errorsSeen} errors, ${okAfterKill} answers after the kill; errors seen:\n  ${[...errorKinds].join("\n  ")}`);
    assert.ok(okAfterKill >= 300, "the stream resumed through the follower");
    for (const { key, acknowledged, sent } of results) {
      const final = Number(await untilAccepted(() => askPort(follower.port, "GET", key), { retryable: anyError, timeoutMs: 30_000 }));
      assert.ok(final >= acknowledged && final <= sent, `${key}: final ${final} in [${acknowledged}, ${sent}]`);
    }
  });
});
