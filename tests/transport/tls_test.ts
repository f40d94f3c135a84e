/**
 * Peers over mutually verified TLS: one self-signed certificate (SAN
 * IP:127.0.0.1) shared by the nodes is its own trust anchor; a certificate
 * from another CA, or one that does not name the address dialed, is refused.
 */
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { selfSigned } from "../helpers/certs.ts";
import { waitFor } from "../helpers/process.ts";
import type { PeerTls } from "../../raft/transport/peer_tls.ts";
import { connectAll, numbered, sequenceFrom, startNode, type TestNode } from "./harness.ts";

describe("PeerTransport over TLS", () => {
  let dir: string;
  let pem: PeerTls;
  let other: PeerTls;
  const nodes: TestNode[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "uhaha-transport-tls-"));
    const cluster = selfSigned(dir, "cluster");
    pem = { cert: cluster.cert, key: cluster.key, ca: [cluster.cert] };
    const stranger = selfSigned(dir, "stranger");
    other = { cert: stranger.cert, key: stranger.key, ca: [stranger.cert] };
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

  test("a dialer whose certificate is from another CA is refused by the acceptor, and logged", async () => {
    const a = await startNode(1, { tls: pem, secret: "pw" });
    // It trusts the cluster's certificate, so only the acceptor's check can stop it.
    const b = await startNode(2, { tls: { ...other, ca: [pem.cert] }, secret: "pw" });
    nodes.push(a, b);
    b.transport.setPeers(new Map([[1, a.address]]));
    b.transport.send([numbered(2, 1, 0)]);
    await waitFor("the refusal", () => b.transport.stats().peers.get(1)?.lastError.includes("not trusted"));
    assert.ok(a.log.lines.some((l) => l.startsWith("warn refused peer connection") && l.includes("not trusted")), a.log.lines.join("\n"));
    assert.equal(a.received.length, 0);
  });

  test("a dialer does not trust an acceptor whose certificate is from another CA", async () => {
    const a = await startNode(1, { tls: { ...other, ca: [pem.cert] }, secret: "pw" });
    const b = await startNode(2, { tls: pem, secret: "pw" });
    nodes.push(a, b);
    b.transport.setPeers(new Map([[1, a.address]]));
    b.transport.send([numbered(2, 1, 0)]);
    await waitFor("the failure", () => /self.signed|certificate/i.test(b.transport.stats().peers.get(1)?.lastError ?? ""));
    assert.equal(a.received.length, 0);
  });

  test("a certificate that does not name the address dialed is refused by the dialer", async () => {
    const named = selfSigned(dir, "elsewhere", "IP:10.9.8.7");
    const tlsOf = { cert: named.cert, key: named.key, ca: [named.cert] };
    const a = await startNode(1, { tls: tlsOf, secret: "pw" });
    const b = await startNode(2, { tls: tlsOf, secret: "pw" });
    nodes.push(a, b);
    b.transport.setPeers(new Map([[1, a.address]]));
    b.transport.send([numbered(2, 1, 0)]);
    await waitFor("the failure", () => (b.transport.stats().peers.get(1)?.lastError ?? "").includes("127.0.0.1"));
    assert.match(b.transport.stats().peers.get(1)!.lastError, /not in the cert's list|altnames|does not match/i);
    assert.equal(a.received.length, 0);
  });
});
