/**
 * A node that has just joined knows its leader: 20 nodes join a kvdb
 * cluster one after another (alternately through the leader and through a
 * follower, which redirects), and a write sent to each the moment the
 * leader's RAFT SERVER LIST shows it is answered MOVED to the leader —
 * never CLUSTERDOWN. Each is removed again before the next joins, so the
 * cluster stays at three voters.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { appPath, type Cluster, type ClusterNode, startCluster } from "../helpers/cluster.ts";
import { cleanup, freePort, onCleanup, spawnCli, unlessExited, waitFor } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import type { Reply } from "../../server/resp_reply_parser.ts";

const JOINS = 20;

function text(reply: Reply): string {
  switch (reply.type) {
    case "simple":
    case "error":
      return reply.text;
    case "integer":
      return String(reply.value);
    case "bulk":
      return reply.value === null ? "(nil)" : new TextDecoder().decode(reply.value);
    case "array":
      return `[${(reply.items ?? []).map(text).join(" ")}]`;
  }
}

/** Ids in a RAFT SERVER LIST reply (an array of flat id/address/leader/voter maps). */
function listedIds(reply: Reply): string[] {
  if (reply.type !== "array") throw new Error(`RAFT SERVER LIST: ${text(reply)}`);
  return (reply.items ?? []).map((server) => {
    const fields = server.type === "array" ? server.items ?? [] : [];
    const at = fields.findIndex((field) => text(field) === "id");
    return at >= 0 ? text(fields[at + 1]) : "?";
  });
}

/** Connects to `port` as soon as something listens there (a node listens before it joins). */
function connectSoon(port: number): Promise<RawClient> {
  return waitFor(`a connection to port ${port}`, () =>
    new Promise<RawClient | undefined>((resolve) => {
      const probe = net.connect({ host: "127.0.0.1", port }, () => {
        probe.destroy();
        RawClient.connect(port).then(resolve, () => resolve(undefined));
      });
      probe.on("error", () => resolve(undefined));
    }), 30_000);
}

describe("a node that has just joined", () => {
  let cluster: Cluster;
  let leader: ClusterNode;
  let follower: ClusterNode;
  let admin: RawClient;
  before(async () => {
    cluster = await startCluster("kvdb", 2);
    leader = await cluster.leader();
    follower = cluster.nodes.find((node) => node !== leader)!;
    admin = await RawClient.connect(leader.port);
    onCleanup(() => admin.close());
  });
  after(() => cleanup());

  test(`redirects a write to the leader at once, ${JOINS} joins in a row`, { timeout: 120_000 }, async () => {
    const answers: string[] = [];
    for (let i = 0; i < JOINS; i++) {
      const id = String(i + 3);
      const via = i % 2 === 0 ? leader : follower;
      const port = await freePort();
      const joiner = spawnCli([appPath("kvdb"), "-n", id, "-a", `127.0.0.1:${port}`, "-d", cluster.dataDir, "-j", via.address]);
      const client = await unlessExited(joiner, connectSoon(port), `node ${id}`);
      try {
        // The leader lists a member as soon as it appends the change, before it
        // commits: ask back to back (no pause), and write the moment it does.
        const deadline = Date.now() + 30_000;
        for (;;) {
          const list = await admin.call("RAFT", "SERVER", "LIST");
          if (listedIds(list).includes(id)) break;
          if (Date.now() > deadline) throw new Error(`the leader never listed node ${id}: ${text(list)}`);
        }
        const reply = await client.call("SET", "b", id);
        answers.push(`node ${id} (joined via ${via === leader ? "the leader" : "a follower"}): ${text(reply)}`);
      } finally {
        client.close();
      }
      // Out again (once its addition has committed), so the next join starts from three voters.
      await waitFor(`node ${id} to be removed`, async () => {
        return text(await admin.call("RAFT", "SERVER", "REMOVE", id)) === "1";
      }, 30_000);
      await joiner.kill();
    }
    const expected = `MOVED 0 ${leader.address}`;
    assert.deepEqual(answers.filter((answer) => !answer.endsWith(`: ${expected}`)), [], `every answer is ${expected}`);
    assert.equal(answers.length, JOINS);
  });
});
