/** A peer process killed (SIGKILL) mid-stream, then restarted on the same port. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { freePort, killAll, spawnProcess, type Spawned, tsRunner, waitFor } from "../helpers/process.ts";
import { numbered, sequenceFrom, startNode } from "./harness.ts";

const SCRIPT = fileURLToPath(new URL("./peer_process.ts", import.meta.url));

after(killAll);

test("a peer killed mid-stream: the others and the caller are unaffected; it catches up after a restart", async () => {
  const port = await freePort();
  const a = await startNode(1, { transport: { reconnectMaxMs: 300 } });
  const c = await startNode(3);
  const spawnPeer = async (): Promise<Spawned> => {
    const runner = tsRunner();
    const child = spawnProcess(runner.command, [...runner.args, SCRIPT, "2", String(port), "1", a.address]);
    await waitFor("the peer process to be ready", () => child.stdout().includes("ready"), 30_000);
    return child;
  };
  let peer = await spawnPeer();
  let n = 0;
  let longestSend = 0;
  const pump = setInterval(() => {
    const began = performance.now();
    const batch = [];
    for (let i = 0; i < 20; i++, n++) batch.push(numbered(1, 2, n), numbered(1, 3, n));
    a.transport.send(batch);
    longestSend = Math.max(longestSend, performance.now() - began);
  }, 2);
  try {
    a.transport.setPeers(new Map([[2, `127.0.0.1:${port}`], [3, c.address]]));
    const answers = () => a.received.filter((m) => m.type === "heartbeatResponse").length;
    await waitFor("answers from the peer process", () => answers() > 500);

    await peer.kill("SIGKILL");
    await waitFor("the link to notice", () => a.transport.stats().peers.get(2)?.connected === false);
    const cAtKill = sequenceFrom(c, 1).length;
    await waitFor("node 3 to keep receiving", () => sequenceFrom(c, 1).length > cAtKill + 1000);
    await waitFor("a few redials", () => (a.transport.stats().peers.get(2)?.reconnects ?? 0) >= 2);
    assert.match(a.transport.stats().peers.get(2)!.lastError, /ECONNREFUSED|ECONNRESET|lost/);

    const answersBefore = answers();
    peer = await spawnPeer();
    await waitFor("answers after the restart", () => answers() > answersBefore + 500);
    assert.ok(a.transport.stats().peers.get(2)!.connected);
    clearInterval(pump);
    // Node 3 saw every message, in order, throughout.
    await waitFor("node 3 to get everything", () => sequenceFrom(c, 1).length === n);
    assert.deepEqual(sequenceFrom(c, 1), Array.from({ length: n }, (_, i) => i));
    assert.equal(a.transport.stats().peers.get(3)!.dropped, 0);
    assert.ok(longestSend < 100, `send() took up to ${longestSend} ms`);
  } finally {
    clearInterval(pump);
    await peer.kill("SIGKILL");
    await a.close();
    await c.close();
  }
});
