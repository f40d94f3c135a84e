/** Peers over TLS (self-signed certificate shared by the nodes, not verified). */
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { waitFor } from "../helpers/process.ts";
import { connectAll, numbered, sequenceFrom, startNode, type TestNode } from "./harness.ts";

describe("PeerTransport over TLS", () => {
  let dir: string;
  let pem: { cert: string; key: string };
  const nodes: TestNode[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "uhaha-transport-tls-"));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    pem = { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") };
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("messages, auth and a snapshot", async () => {
    const a = await startNode(1, { tls: pem, secret: "pw" });
    let digest = "";
    const b = await startNode(2, {
      tls: pem,
      secret: "pw",
      onSnapshot: async (_m, data) => {
        const hash = createHash("sha256");
        for await (const chunk of data) hash.update(chunk);
        digest = hash.digest("hex");
      },
    });
    nodes.push(a, b);
    connectAll([a, b]);
    for (let i = 0; i < 10; i++) a.transport.send(Array.from({ length: 100 }, (_, j) => numbered(1, 2, i * 100 + j)));
    await waitFor("1000 messages", () => sequenceFrom(b, 1).length === 1000);
    assert.deepEqual(sequenceFrom(b, 1), Array.from({ length: 1000 }, (_, i) => i));

    const data = new Uint8Array(randomBytes(3 << 20));
    const ok = await a.transport.sendSnapshot(
      { type: "snapshot", from: 1, to: 2, term: 1, snapshot: { index: 1, term: 1, config: { members: [] } } },
      (async function* () {
        for (let at = 0; at < data.byteLength; at += 500_000) yield data.subarray(at, at + 500_000);
      })(),
    );
    assert.equal(ok, true);
    assert.equal(digest, createHash("sha256").update(data).digest("hex"));
  });

  test("a wrong secret is refused over TLS too", async () => {
    const a = await startNode(1, { tls: pem, secret: "pw" });
    const b = await startNode(2, { tls: pem, secret: "nope" });
    nodes.push(a, b);
    connectAll([a, b]);
    a.transport.send([numbered(1, 2, 0)]);
    await waitFor("the refusal", () => a.transport.stats().peers.get(2)?.lastError.includes("cluster secret"));
    assert.equal(b.received.length, 0);
  });
});
