/**
 * GET /metrics, /status and / on a node's own port, as real processes: a
 * 3-node kvdb cluster with --auth (kvdb has an HTTP service of its own, so
 * the routing between the two is tested too) and a one-node ticket without.
 * /metrics parses with the strict test parser and its counters move under
 * load; /status has the documented shape on the leader and on a follower;
 * both need the bearer token when --auth is set, the page does not.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { cleanup, startCliNode } from "../helpers/process.ts";
import { appPath } from "../helpers/cluster.ts";
import { askPort } from "../helpers/resp.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { concatBytes } from "../helpers/chunks.ts";
import { encodeCommand } from "../../server/resp_writer.ts";
import { askWithAuth, type AuthNode, authLeader, startAuthCluster } from "../cluster/auth_cluster.ts";
import { untilAccepted } from "../helpers/until_accepted.ts";
import { show } from "../cluster/order_model.ts";
import { type Family, parsePrometheusText, sampleValue } from "./prometheus_parser.ts";

const SECRET = "metrics-secret";
const bearer = { Authorization: `Bearer ${SECRET}` };

async function get(port: number, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Response> {
  return await fetch(`http://127.0.0.1:${port}${path}`, { headers, method });
}

/** One HTTP/1.1 request on a new connection that closes after it; the whole response as text. */
function httpOnce(port: number, requestLine: string, token?: string): Promise<string> {
  const authorization = token === undefined ? "" : `Authorization: Bearer ${token}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => socket.write(`${requestLine} HTTP/1.1\r\nHost: x\r\n${authorization}Connection: close\r\n\r\n`));
    let response = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (response += chunk));
    socket.on("end", () => resolve(response));
    socket.on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no response to ${requestLine}`)));
  });
}

async function scrape(port: number): Promise<Map<string, Family>> {
  const response = await get(port, "/metrics", bearer);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusText(await response.text());
}

describe("/metrics, /status and / with --auth on a 3-node kvdb cluster", { timeout: 180_000 }, () => {
  let nodes: AuthNode[];
  let leader: AuthNode;
  let follower: AuthNode;
  before(async () => {
    nodes = await startAuthCluster("kvdb", 3, SECRET);
    leader = await authLeader(nodes, SECRET);
    follower = nodes.find((node) => node !== leader)!;
  });
  after(() => cleanup());

  test("without the bearer token /metrics and /status answer 401; the page is served to anyone", async () => {
    for (const path of ["/metrics", "/status"]) {
      const refused: Record<string, string>[] = [{}, { Authorization: "Bearer wrong" }, { Authorization: `Basic ${SECRET}` }];
      for (const headers of refused) {
        const response = await get(follower.port, path, headers);
        assert.equal(response.status, 401, `${path} with ${JSON.stringify(headers)}`);
        assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="uhaha"');
        await response.body?.cancel();
      }
    }
    const page = await get(follower.port, "/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await page.text(), /<title>uhaha status<\/title>[\s\S]*fetch\("\/status"/);
    const head = await get(leader.port, "/metrics", bearer, "HEAD");
    assert.equal(head.status, 200);
    assert.ok(Number(head.headers.get("content-length")) > 0);
    assert.equal(await head.text(), "");
  });

  test("kvdb's own HTTP service keeps every other path; RESP shares the port as before", async () => {
    // Raw requests that close their connection: fetch would keep kvdb's connection
    // alive and reuse it for the next request, which kvdb's service then answers
    // (routing is per connection, by its first request line).
    assert.match(await httpOnce(leader.port, "GET /no-such-key", SECRET), /^HTTP\/1\.1 404 [\s\S]*\r\n\r\nnot found\n$/, "kvdb answers for its keys");
    assert.match(await httpOnce(leader.port, "GET /no-such-key"), /^HTTP\/1\.1 401 /, "kvdb's service needs the password too");
    assert.match(await httpOnce(leader.port, "GET /_status", SECRET), /"state":"Leader"/, "kvdb's /_status is still kvdb's");
    assert.match(await httpOnce(leader.port, "GET /metrics"), /^HTTP\/1\.1 401 /, "the node's /metrics on a connection of its own");
    assert.equal(await askWithAuth(leader.port, SECRET, "PING"), "+PONG");
  });

  test("/metrics parses strictly, has every family, and its counters move under load", async () => {
    const before = await scrape(leader.port);
    for (const name of [
      "uhaha_term", "uhaha_role", "uhaha_commit_index", "uhaha_applied_index", "uhaha_log_bytes", "uhaha_log_segments",
      "uhaha_snapshots", "uhaha_peer_match_index", "uhaha_peer_lag_entries", "uhaha_apply_duration_seconds",
      "uhaha_fsync_duration_seconds", "uhaha_commands_total", "uhaha_applied_commands_total", "uhaha_connected_clients",
    ]) {
      assert.ok(before.has(name), `missing ${name}`);
      assert.ok(before.get(name)!.help, `${name} has HELP`);
    }
    assert.equal(sampleValue(before, "uhaha_role", { role: "leader" }), 1);
    assert.equal(before.get("uhaha_peer_match_index")!.samples.length, 2, "one per follower");
    assert.equal(before.get("uhaha_apply_duration_seconds")!.type, "histogram");

    const client = await RawClient.connect(leader.port);
    try {
      assert.equal(show(await client.call("AUTH", SECRET)), "+OK");
      await untilAccepted(() => client.call("SET", "warm", "up"));
      const commands = Array.from({ length: 300 }, (_, i) => [["SET", `k${i % 10}`, String(i)], ["GET", `k${i % 10}`]]).flat();
      client.write(concatBytes(commands.map((args) => encodeCommand(args))));
      const replies = await client.read(commands.length, 60_000);
      assert.ok(replies.every((reply) => reply.type !== "error"), "every command succeeded");
      const after = await scrape(leader.port);
      const grew = (family: string, labels: Record<string, string> = {}, name = family) =>
        sampleValue(after, family, labels, name) - sampleValue(before, family, labels, name);
      assert.ok(grew("uhaha_commands_total", { kind: "write" }) >= 300, "writes counted");
      assert.ok(grew("uhaha_commands_total", { kind: "read" }) >= 300, "reads counted");
      assert.ok(grew("uhaha_applied_commands_total") >= 300, "applied commands counted");
      assert.ok(grew("uhaha_commit_index") > 0 && grew("uhaha_applied_index") > 0);
      assert.ok(grew("uhaha_apply_duration_seconds", {}, "uhaha_apply_duration_seconds_count") > 0);
      assert.ok(grew("uhaha_fsync_duration_seconds", {}, "uhaha_fsync_duration_seconds_count") > 0);
      assert.ok(grew("uhaha_log_bytes") > 0);
      assert.ok(sampleValue(after, "uhaha_connected_clients") >= 1);
      for (const sample of after.get("uhaha_peer_lag_entries")!.samples) assert.ok(sample.value >= 0);
    } finally {
      client.close();
    }
  });

  test("/status: this node and the members as it knows them", async () => {
    const fromLeader = await (await get(leader.port, "/status", bearer)).json();
    assert.deepEqual(Object.keys(fromLeader).sort(), ["counters", "node", "nodes", "storage", "time"]);
    assert.equal(fromLeader.node.role, "leader");
    assert.equal(fromLeader.node.id, leader.id);
    assert.equal(fromLeader.node.app, "kvdb");
    for (const key of ["term", "commitIndex", "appliedIndex", "lastIndex", "leaderId"]) assert.equal(typeof fromLeader.node[key], "number", key);
    for (const key of ["logBytes", "logSegments", "snapshots"]) assert.equal(typeof fromLeader.storage[key], "number", key);
    for (const key of ["writes", "reads", "appliedCommands", "connectedClients"]) assert.equal(typeof fromLeader.counters[key], "number", key);
    assert.equal(fromLeader.nodes.length, 3);
    assert.equal(fromLeader.nodes.filter((m: { role: string }) => m.role === "leader").length, 1);
    for (const member of fromLeader.nodes) {
      assert.deepEqual(Object.keys(member).sort(), ["address", "id", "lag", "matchIndex", "role", "self", "voter"]);
      assert.equal(typeof member.matchIndex, "number", "a leader knows every match index");
      assert.ok(member.lag >= 0);
    }
    const fromFollower = await (await get(follower.port, "/status", bearer)).json();
    assert.equal(fromFollower.node.role, "follower");
    assert.equal(fromFollower.node.leaderId, leader.id);
    assert.equal(fromFollower.node.leaderAddress, leader.address);
    assert.deepEqual(fromFollower.nodes.map((m: { role: string }) => m.role).sort(), ["follower", "follower", "leader"]);
    assert.ok(fromFollower.nodes.every((m: { matchIndex: unknown }) => m.matchIndex === null), "a follower does not know match indexes");
  });
});

describe("/metrics without --auth, on an app with no HTTP service of its own", { timeout: 60_000 }, () => {
  after(() => cleanup());

  test("served without a token; RESP on the same port unchanged", async () => {
    const { port } = await startCliNode([appPath("ticket")]);
    const families = await scrape(port);
    assert.equal(sampleValue(families, "uhaha_role", { role: "leader" }), 1);
    assert.equal((await get(port, "/metrics")).status, 200, "no token needed");
    assert.equal(await askPort(port, "PING"), "PONG");
  });
});
