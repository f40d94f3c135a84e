/**
 * Per-connection order, as a Redis client sees it: every command observes
 * the effects of all earlier commands on its connection and none of a later
 * one, however the pipeline is split into writes; and a client that
 * half-closes right after its pipeline still gets every reply.
 *
 * A property test sends random pipelines of writes, reads, intermediates
 * that rewrite themselves into writes, errors and built-ins, in random
 * chunks, to the leader of a 1- and a 3-node cluster, and checks every reply
 * against a sequential model of the data.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import fc from "fast-check";
import { cleanup } from "../helpers/process.ts";
import { type Cluster, startCluster } from "../helpers/cluster.ts";
import { firstWrite } from "../helpers/resp.ts";
import { concatBytes, splitAt } from "../helpers/chunks.ts";
import { parseReply } from "../../server/resp_reply_parser.ts";
import { encodeCommand } from "../../server/resp_writer.ts";
import { ByteQueue } from "../../server/byte_queue.ts";
import { ORDER_EXAMPLE, SequentialModel, show } from "./order_model.ts";

/** Writes `chunks` one event-loop turn apart, optionally half-closes, and reads `count` replies. */
function exchange(port: number, chunks: readonly Uint8Array[], count: number, halfClose = false): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    const input = new ByteQueue();
    const replies: string[] = [];
    const timer = setTimeout(() => finish(new Error(`${replies.length} of ${count} replies after 20 s: ${replies.join(" ")}`)), 20_000);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies);
    };
    socket.on("error", finish);
    socket.on("data", (chunk: Uint8Array) => {
      input.append(chunk);
      for (let result = parseReply(input.bytes, input.start, input.end); result.kind === "reply"; result = parseReply(input.bytes, input.start, input.end)) {
        replies.push(show(result.reply));
        input.consume(result.consumed);
      }
      if (replies.length >= count && !halfClose) finish();
    });
    // A half-closed client learns that it got everything when the server closes.
    socket.on("end", () => (replies.length === count ? finish() : finish(new Error(`closed after ${replies.length} of ${count} replies: ${replies.join(" ")}`))));
    socket.on("connect", async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((next) => setImmediate(next));
      }
      if (halfClose) socket.end();
    });
  });
}

function encodePipeline(commands: readonly string[][]): Uint8Array {
  return concatBytes(commands.map((args) => encodeCommand(args)));
}

/** Random pipelines over a few keys of `prefix`, where values are sometimes integers. */
function pipelineArbitrary(prefix: string): fc.Arbitrary<string[][]> {
  const fixed = (...args: string[]) => fc.constant(args);
  const key = fc.constantFrom("a", "b", "c").map((k) => `${prefix}:${k}`);
  const value = fc.constantFrom("1", "7", "x");
  const command = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(key, value).map(([k, v]) => ["SET", k, v]) },
    { weight: 4, arbitrary: key.map((k) => ["GET", k]) },
    { weight: 2, arbitrary: fc.tuple(key, key).map(([k1, k2]) => ["DEL", k1, k2]) },
    { weight: 3, arbitrary: key.map((k) => ["INCR", k]) },
    { weight: 2, arbitrary: key.map((k) => ["INCRLATER", k]) },
    { weight: 2, arbitrary: fixed("KEYS", `${prefix}:*`) },
    { weight: 2, arbitrary: fixed("DBSIZE") },
    { weight: 1, arbitrary: key.map((k) => ["SET", k]) },
    {
      weight: 2,
      arbitrary: fc.oneof(fixed("NOSUCH"), fixed("PING"), fixed("ECHO", "e"), fixed("RAFT", "INFO", "state"), fixed("BARRIER")),
    },
  );
  return fc.array(command, { minLength: 1, maxLength: 40 });
}

for (const size of [1, 3]) {
  describe(`per-connection order on the leader of a ${size}-node cluster`, () => {
    let cluster: Cluster;
    let port: number;
    const model = new SequentialModel();
    before(async () => {
      cluster = await startCluster(ORDER_EXAMPLE, size);
      const leader = await cluster.leader();
      port = leader.port;
      await firstWrite(cluster.client(leader), "INCR", "warm");
      model.reply(["INCR", "warm"]);
    });
    after(() => cleanup());

    test("random pipelines in random chunks answer as the sequential model", { timeout: 120_000 }, async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          pipelineArbitrary(`r${size}`),
          fc.array(fc.nat(), { maxLength: 6 }),
          async (commands, cuts) => {
            run++;
            // Replies already decided by the model before sending: the server must match them.
            const expected = commands.map((args) => model.reply(args));
            const replies = await exchange(port, splitAt(encodePipeline(commands), cuts), commands.length);
            assert.deepEqual(replies, expected, `run ${run}: ${commands.map((c) => c.join(" ")).join("; ")}`);
          },
        ),
        { numRuns: 40, endOnFailure: true },
      );
    });

    test("SET k b; GET k; SET k c; GET k in one write: each GET sees exactly the SETs before it", async () => {
      const commands = [["SET", "k", "b"], ["GET", "k"], ["SET", "k", "c"], ["GET", "k"]];
      const expected = commands.map((args) => model.reply(args));
      assert.deepEqual(expected, ["+OK", "$b", "+OK", "$c"]);
      assert.deepEqual(await exchange(port, [encodePipeline(commands)], 4), expected);
    });

    test("a client that half-closes right after its pipeline gets every reply", async () => {
      const commands = [["SET", "h:1", "a"], ["INCR", "h:n"], ["GET", "h:1"], ["INCRLATER", "h:n"], ["GET", "h:n"], ["DEL", "h:1"], ["KEYS", "h:*"]];
      const expected = commands.map((args) => model.reply(args));
      assert.deepEqual(expected, ["+OK", ":1", "$a", ":2", "$2", ":1", "[$h:n]"]);
      assert.deepEqual(await exchange(port, [encodePipeline(commands)], commands.length, true), expected);
    });
  });
}

describe("the kvdb example", () => {
  let port: number;
  before(async () => {
    const cluster = await startCluster("kvdb", 1);
    const leader = await cluster.leader();
    port = leader.port;
    await firstWrite(cluster.client(leader), "SET", "warm", "up");
  });
  after(() => cleanup());

  test("a pipeline of 16 mixed commands in one write is answered in order", async () => {
    const pipeline = "PING; SET p:1 a; GET p:1; NOSUCH; ECHO x; SET p:2 b; DEL p:1 p:3; GET p:1; KEYS p:*; DBSIZE; " +
      "RAFT INFO state; VERSION; SET p:2; PING a b; DEL p:2; BARRIER";
    const commands = pipeline.split("; ").map((command) => command.split(" "));
    assert.deepEqual(await exchange(port, [encodePipeline(commands)], commands.length), [
      "+PONG",
      "+OK",
      "$a",
      "-ERR unknown command 'nosuch'",
      "$x",
      "+OK",
      ":1",
      "nil",
      "[$p:2]",
      ":2",
      "[$state,$Leader]",
      "$kvdb version 0.1.0",
      "-ERR wrong number of arguments for 'set' command",
      "-ERR wrong number of arguments for 'ping' command",
      ":1",
      "+OK",
    ]);
  });

  test("printf 'SET a 1\\r\\nGET a\\r\\n' | nc -q1: inline commands, then a half-close, still answered", async () => {
    const replies = await exchange(port, [new TextEncoder().encode("SET a 1\r\nGET a\r\n")], 2, true);
    assert.deepEqual(replies, ["+OK", "$1"]);
  });
});

describe("per-connection order through a leader kill", () => {
  after(() => cleanup());

  test("4 clients pipelining SET v1; GET; SET v2; GET: every acknowledged SET is read by the GET after it", { timeout: 90_000 }, async (t) => {
    const cluster = await startCluster(ORDER_EXAMPLE, 3);
    let leader = await cluster.leader();
    await firstWrite(cluster.client(leader), "SET", "warm", "up");
    let checked = 0;
    const violations: string[] = [];
    const stopAt = Date.now() + 8_000;
    const client = async (id: number) => {
      for (let round = 0; Date.now() < stopAt; round++) {
        const [v1, v2] = [`${id}.${round}.a`, `${id}.${round}.b`];
        const key = `kill:${id}`;
        const pipeline = [["SET", key, v1], ["GET", key], ["SET", key, v2], ["GET", key]];
        let replies: string[];
        try {
          replies = await exchange(leader.port, [encodePipeline(pipeline)], 4);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20)); // the leader is gone: the test finds the next
          continue;
        }
        for (const [set, get, value] of [[0, 1, v1], [2, 3, v2]] as const) {
          if (replies[set] !== "+OK" || replies[get].startsWith("-")) continue;
          checked++;
          if (replies[get] !== `$${value}`) violations.push(`${key}: SET ${value} acknowledged, then GET read ${replies[get]}`);
        }
      }
    };
    const clients = [1, 2, 3, 4].map(client);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await leader.process.kill("SIGKILL");
    leader = await cluster.leader(30_000);
    await Promise.all(clients);
    t.diagnostic(`${checked} acknowledged SETs each followed by a GET that read them; ${violations.length} not`);
    assert.deepEqual(violations, []);
    assert.ok(checked > 100, `only ${checked} acknowledged SETs were checked`);
  });
});
