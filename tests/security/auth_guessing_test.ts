/**
 * --auth against a guesser, on a real kvdb node: wrong passwords from one
 * address are answered later and later (logged once), while a right
 * password from another address (127.0.0.2: Linux routes all of 127/8 to
 * lo) is answered at once; the password never shows in MONITOR, INFO,
 * replies or the log. kvdb's HTTP service takes it as a bearer token.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Reply } from "../../server/resp_reply_parser.ts";
import { AuthThrottle, DEFAULT_AUTH_THROTTLE } from "../../server/auth_throttle.ts";
import { cleanup, type Spawned, startCliNode, waitFor } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";

const SECRET = "Guess-Me-If-You-Can-42";
const policy = new AuthThrottle();

/** A reply as text: "+OK", "-ERR …", a bulk string's text, or the type of anything else. */
function text(reply: Reply): string {
  if (reply.type === "error") return `-${reply.text}`;
  if (reply.type === "simple") return `+${reply.text}`;
  if (reply.type === "bulk") return new TextDecoder().decode(reply.value ?? new Uint8Array());
  return reply.type;
}

/** Sends AUTH `password` on `client`; resolves with the reply and how long it took, in ms. */
async function timedAuth(client: RawClient, password: string): Promise<{ reply: string; ms: number }> {
  const start = performance.now();
  const reply = await client.call("AUTH", password);
  return { reply: text(reply), ms: performance.now() - start };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe("AUTH against guessing", () => {
  let node: Spawned;
  let port: number;
  const clients: RawClient[] = [];
  const connect = async (localAddress?: string) => {
    const client = await RawClient.connect(port, localAddress);
    clients.push(client);
    return client;
  };

  before(async () => {
    ({ node, port } = await startCliNode(["--auth", SECRET, "--localtime"]));
  });
  after(async () => {
    clients.forEach((client) => client.close());
    await cleanup();
  });

  test("MONITOR sees AUTH and HELLO … AUTH redacted; INFO and error replies never hold the password", async () => {
    const monitor = await connect();
    assert.equal(text(await monitor.call("AUTH", SECRET)), "+OK");
    assert.equal(text(await monitor.call("MONITOR")), "+OK");
    const other = await connect();
    assert.equal(text(await other.call("AUTH", SECRET)), "+OK");
    assert.equal(text(await other.call("HELLO", "2", "AUTH", "default", SECRET)), "array");
    const wrong = text(await other.call("AUTH", "not-the-Secret"));
    assert.equal(wrong, "-ERR invalid password");
    const info = text(await other.call("INFO"));
    assert.match(info, /connected_clients/);
    assert.equal(text(await other.call("PING")), "+PONG");
    const seen = (await monitor.read(5)).map(text);
    assert.equal(seen.filter((line) => line.includes("(redacted)")).length, 3, seen.join("\n"));
    assert.ok(seen.some((line) => /"HELLO" "2" "AUTH" "\(redacted\)"/.test(line)), seen.join("\n"));
    for (const line of [...seen, info]) {
      assert.ok(!line.includes(SECRET) && !line.includes("not-the-Secret"), line);
    }
  });

  test("kvdb's HTTP service: 401 without or with a wrong bearer token, served with the right one", async () => {
    const url = `http://127.0.0.1:${port}`;
    const request = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${url}${path}`, init);
      return { status: response.status, body: await response.text(), challenge: response.headers.get("www-authenticate") };
    };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const none = await request("/http-key", { method: "PUT", body: "v" });
    assert.equal(none.status, 401);
    assert.equal(none.challenge, 'Bearer realm="uhaha"');
    assert.equal((await request("/_status")).status, 401);
    const wrong = await request("/http-key", { method: "PUT", body: "v", headers: bearer("wrong-token") });
    assert.deepEqual([wrong.status, wrong.body], [401, "invalid password\n"]);
    assert.equal((await request("/http-key", { headers: { authorization: "Basic abc" } })).status, 401);
    // 503 (TRYAGAIN) until the new node's first TICK.
    await waitFor("a PUT", async () => (await request("/http-key", { method: "PUT", body: "v", headers: bearer(SECRET) })).status === 200);
    const got = await request("/http-key", { headers: bearer(SECRET) });
    assert.deepEqual([got.status, got.body], [200, "v"]);
    assert.equal((await request("/_status", { headers: bearer(SECRET) })).status, 200);
  });

  test("50 wrong passwords from one address: later answers come later and later; 127.0.0.2's right one at once", async () => {
    const guesser = await connect("127.0.0.1");
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const { reply, ms } = await timedAuth(guesser, `guess-${i}`);
      assert.equal(reply, "-ERR invalid password");
      times.push(ms);
    }
    // Each slowed answer waited at least its delay (answer i follows i failures),
    // less 2 ms: a timer's delay counts from the event loop's cached start-of-turn
    // time, so it can fire up to a turn early as a clock read at the call sees it
    // (CI once saw 14.5 ms for a 15 ms delay).
    for (let i = DEFAULT_AUTH_THROTTLE.freeFailures; i < 50; i++) {
      assert.ok(times[i] >= policy.delayAfter(i) - 2, `answer ${i + 1} took ${times[i].toFixed(1)} ms, below ${policy.delayAfter(i)} ms`);
    }
    const early = mean(times.slice(10, 15));
    const late = mean(times.slice(45, 50));
    console.log(
      `auth delays (ms): answers 1-10 mean ${mean(times.slice(0, 10)).toFixed(1)}, 11-15 mean ${early.toFixed(1)}, ` +
        `46-50 mean ${late.toFixed(1)}, 50th ${times[49].toFixed(1)}`,
    );
    assert.ok(late >= 3 * early, `the delay grows: answers 11-15 took ${early.toFixed(1)} ms, 46-50 ${late.toFixed(1)} ms`);

    // At once: one more guess from 127.0.0.1 and the right password from 127.0.0.2.
    const [guess, right] = await Promise.all([
      timedAuth(await connect("127.0.0.1"), "guess-50"),
      timedAuth(await connect("127.0.0.2"), SECRET),
    ]);
    assert.equal(right.reply, "+OK");
    assert.equal(guess.reply, "-ERR invalid password");
    console.log(`51st guess from 127.0.0.1: ${guess.ms.toFixed(1)} ms; right password from 127.0.0.2: ${right.ms.toFixed(1)} ms`);
    assert.ok(guess.ms >= policy.delayAfter(50) * 0.98, `the 51st guess took ${guess.ms.toFixed(1)} ms`);
    assert.ok(right.ms < guess.ms / 2, `127.0.0.2 waited ${right.ms.toFixed(1)} ms, the guesser ${guess.ms.toFixed(1)} ms`);

    // The guesser's address queues even a right password (the delay comes before the check).
    const late127 = await timedAuth(await connect("127.0.0.1"), SECRET);
    assert.equal(late127.reply, "+OK");
    assert.ok(late127.ms >= policy.delayAfter(51) * 0.98, `took ${late127.ms.toFixed(1)} ms`);

    const log = node.stderr();
    const reports = log.split("\n").filter((line) => line.includes("wrong passwords from"));
    assert.equal(reports.length, 1, reports.join("\n"));
    assert.match(reports[0], / # 10 wrong passwords from 127\.0\.0\.1: its AUTH answers are now delayed \(10 ms/);
    assert.ok(!log.includes(SECRET), "the password is not in the log");
  });
});
