/**
 * The built-in replies byte for byte as the Go uhaha sends them (COMPAT.md),
 * on a real 3-node ticket cluster: RAFT INFO (uhaha's 22 keys in its order,
 * ours only by pattern), RAFT SERVER LIST (id, address, leader, voter) and
 * CLUSTER INFO (bulk text, "\n" line ends, 11 lines). Values that vary
 * (indexes, terms, durations) are matched per key; keys, order and framing
 * are exact.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { cleanup, freePort, makeTempDir, waitFor } from "../helpers/process.ts";
import { type Cluster, type ClusterNode, startCluster } from "../helpers/cluster.ts";
import { parseReply } from "../../server/resp_reply_parser.ts";
import { encodeCommand } from "../../server/resp_writer.ts";
import { askPort } from "../helpers/resp.ts";
import { notYetText, untilAccepted } from "../helpers/until_accepted.ts";
import { startNode, TICKET_APP } from "./support.ts";

const encoder = new TextEncoder();

/** Sends one command on a fresh connection and returns the exact bytes of its reply, as latin1 text. */
async function rawReply(port: number, ...args: string[]): Promise<string> {
  const socket = net.connect({ host: "127.0.0.1", port });
  try {
    return await new Promise<string>((resolve, reject) => {
      let bytes = new Uint8Array(0);
      socket.on("data", (chunk: Uint8Array) => {
        const joined = new Uint8Array(bytes.length + chunk.length);
        joined.set(bytes);
        joined.set(chunk, bytes.length);
        bytes = joined;
        const parsed = parseReply(bytes, 0, bytes.length);
        if (parsed.kind === "error") reject(new Error(parsed.message));
        if (parsed.kind !== "reply") return;
        if (parsed.consumed !== bytes.length) reject(new Error(`bytes after the reply: ${bytes.length - parsed.consumed}`));
        resolve(String.fromCharCode(...bytes));
      });
      socket.once("error", reject);
      socket.once("close", () => reject(new Error("closed before a whole reply")));
      socket.write(encodeCommand(args));
    });
  } finally {
    socket.destroy();
  }
}

/** `$<byte length>\r\n<text>\r\n` as latin1 text (how rawReply shows bytes). */
function bulk(text: string): string {
  const bytes = encoder.encode(text);
  return `$${bytes.length}\r\n${String.fromCharCode(...bytes)}\r\n`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A Go time.Duration.String() (µs as its UTF-8 bytes, as rawReply shows them). */
const GO_DURATION = /(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?(?:ns|\xc2\xb5s|ms|s)/.source;

/**
 * Asserts `raw` is exactly a flat map of bulk strings with these keys in this
 * order, each value matching its pattern (a string is matched exactly), and
 * every bulk length right.
 */
function assertFlatMap(raw: string, expected: ReadonlyArray<readonly [string, string | RegExp]>): Record<string, string> {
  const source = `^\\*${expected.length * 2}\\r\\n` + expected.map(([key, value]) =>
    escapeRegExp(bulk(key)) + "\\$(\\d+)\\r\\n(" + (typeof value === "string" ? escapeRegExp(value) : value.source) + ")\\r\\n"
  ).join("") + "$";
  const match = new RegExp(source).exec(raw);
  assert.ok(match, `reply does not match:\n${JSON.stringify(raw)}\nexpected keys: ${expected.map(([key]) => key).join(" ")}`);
  const out: Record<string, string> = {};
  expected.forEach(([key], i) => {
    const [length, value] = [match[1 + 2 * i], match[2 + 2 * i]];
    assert.equal(Number(length), value.length, `bulk length of ${key}`);
    out[key] = value;
  });
  return out;
}

function raftInfoShape(node: ClusterNode, cluster: Cluster, state: string, lastContact: RegExp | string) {
  const configuration = "[" + cluster.nodes.map((n) => `{Suffrage:Voter ID:${n.id} Address:${n.address}}`).join(" ") + "]";
  return [
    ["applied_index", /\d+/],
    ["commit_index", /\d+/],
    ["fsm_pending", "0"],
    ["id", String(node.id)],
    ["last_contact", lastContact],
    ["last_log_index", /\d+/],
    ["last_log_term", /\d+/],
    ["last_snapshot_index", /\d+/],
    ["last_snapshot_term", /\d+/],
    ["latest_configuration", configuration],
    ["latest_configuration_index", /[1-9]\d*/],
    ["logs_behind", /\d+/],
    ["logs_loaded_percent", "100.0"],
    ["num_peers", "2"],
    ["protocol_version", "3"],
    ["protocol_version_max", "3"],
    ["protocol_version_min", "0"],
    ["snapshot_version_max", "1"],
    ["snapshot_version_min", "0"],
    ["state", state],
    ["term", /[1-9]\d*/],
    ["voter", "true"],
  ] as const;
}

describe("built-in replies, byte for byte", () => {
  let cluster: Cluster;
  let leader: ClusterNode;
  let follower: ClusterNode;
  before(async () => {
    cluster = await startCluster("ticket", 3);
    leader = await cluster.leader();
    follower = cluster.nodes.find((n) => n !== leader)!;
    // A joined follower has heard from the leader once it names it.
    await waitFor("the follower to know the leader", async () => (await askPort(follower.port, "RAFT", "LEADER")) === leader.address);
  });
  after(() => cleanup());

  test("RAFT INFO: uhaha's 22 keys in its order (leader and follower)", { timeout: 30_000 }, async () => {
    const onLeader = assertFlatMap(await rawReply(leader.port, "RAFT", "INFO"), raftInfoShape(leader, cluster, "Leader", "0"));
    assert.ok(Number(onLeader.latest_configuration_index) <= Number(onLeader.last_log_index));
    const onFollower = assertFlatMap(
      await rawReply(follower.port, "RAFT", "INFO"),
      raftInfoShape(follower, cluster, "Follower", new RegExp(GO_DURATION)),
    );
    assert.notEqual(onFollower.last_contact, "0");
  });

  test("RAFT INFO with patterns: ours only when matched, no match is an empty array", { timeout: 30_000 }, async () => {
    assert.equal(await rawReply(leader.port, "RAFT", "INFO", "leader_id"), "*2\r\n" + bulk("leader_id") + bulk(String(leader.id)));
    assert.equal(
      await rawReply(leader.port, "RAFT", "INFO", "*version*"),
      "*10\r\n" + [
        ["protocol_version", "3"],
        ["protocol_version_max", "3"],
        ["protocol_version_min", "0"],
        ["snapshot_version_max", "1"],
        ["snapshot_version_min", "0"],
      ].map(([key, value]) => bulk(key) + bulk(value)).join(""),
    );
    assert.equal(await rawReply(leader.port, "RAFT", "INFO", "state"), "*2\r\n" + bulk("state") + bulk("Leader"));
    assert.equal(await rawReply(leader.port, "RAFT", "INFO", "no_such_key*"), "*0\r\n");
  });

  test("RAFT INFO last_contact is never before any contact with a leader", { timeout: 60_000 }, async () => {
    // A lone node that asks a dead address to join: no leader ever speaks to it.
    const [port, deadPort] = await Promise.all([freePort(), freePort()]);
    const args = [TICKET_APP, "-n", "9", "-a", `127.0.0.1:${port}`, "-d", makeTempDir(), "-j", `127.0.0.1:${deadPort}`];
    const lone = await startNode(port, args);
    try {
      const raw = await untilAccepted(() => rawReply(port, "RAFT", "INFO", "last_contact", "state"), {
        retryable: (reply) => reply.startsWith("-") && notYetText(reply.slice(1)),
        what: "RAFT INFO on the lone node",
      });
      assert.equal(raw, "*4\r\n" + bulk("last_contact") + bulk("never") + bulk("state") + bulk("Follower"));
    } finally {
      await lone.kill();
    }
  });

  test("RAFT SERVER LIST: id, address, leader, voter", { timeout: 30_000 }, async () => {
    const expected = `*${cluster.nodes.length}\r\n` + cluster.nodes.map((n) =>
      "*8\r\n" + bulk("id") + bulk(String(n.id)) + bulk("address") + bulk(n.address) +
      bulk("leader") + bulk(String(n === leader)) + bulk("voter") + bulk("true")
    ).join("");
    assert.equal(await rawReply(leader.port, "RAFT", "SERVER", "LIST"), expected);
    assert.equal(await rawReply(follower.port, "RAFT", "SERVER", "LIST"), expected);
  });

  test("CLUSTER INFO: bulk text, \\n line ends, 11 lines", { timeout: 30_000 }, async () => {
    const raw = await rawReply(leader.port, "CLUSTER", "INFO");
    const match = /^\$(\d+)\r\n([^]*)\r\n$/.exec(raw);
    assert.ok(match, JSON.stringify(raw));
    const text = match[2];
    assert.equal(Number(match[1]), text.length);
    const epochs = /^cluster_state:ok\n/.source +
      /cluster_slots_assigned:16384\ncluster_slots_ok:16384\ncluster_slots_pfail:0\ncluster_slots_fail:0\n/.source +
      /cluster_known_nodes:3\ncluster_size:3\ncluster_current_epoch:(\d+)\ncluster_my_epoch:(\d+)\n/.source +
      /cluster_stats_messages_sent:0\ncluster_stats_messages_received:0\n$/.source;
    const fields = new RegExp(epochs).exec(text);
    assert.ok(fields, JSON.stringify(text));
    // Both epochs are the last log index, as uhaha's.
    assert.equal(fields[1], fields[2]);
    assert.ok(Number(fields[1]) > 0);
  });
});
