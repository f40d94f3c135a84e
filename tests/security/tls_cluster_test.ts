/**
 * A 3-node kvdb cluster with TLS and --auth, one self-signed certificate
 * (subjectAltName IP:127.0.0.1) for every node and no --tls-ca (the default
 * trusts the node's own certificate). Clients: redis-cli --tls --cacert and
 * ioredis with `tls`; refused: no TLS, a wrong CA, a wrong password. A peer
 * with a certificate from another CA is refused and changes nothing, and a
 * node with one cannot join even when it knows the password.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { Redis } from "ioredis";
import { type CertFiles, selfSigned } from "../helpers/certs.ts";
import { appPath } from "../helpers/cluster.ts";
import { cleanup, freePort, isRunning, makeTempDir, onCleanup, type Spawned, spawnCli, unlessExited, waitFor, waitForPong } from "../helpers/process.ts";
import { redisCli, redisCliSkip } from "../helpers/resp.ts";
import { dial } from "../../raft/transport/dial.ts";
import { Purpose } from "../../raft/transport/handshake.ts";

const SECRET = "s3cret-Cluster-pw";

interface TlsNode {
  readonly id: number;
  readonly port: number;
  readonly address: string;
  readonly process: Spawned;
}

describe("a TLS + auth cluster", () => {
  let certs: string;
  let cluster: CertFiles;
  let stranger: CertFiles;
  let dataDir: string;
  const nodes: TlsNode[] = [];
  const clients: Redis[] = [];

  /** The first connection-level error of each client (ioredis emits it; connect() rejects with "Connection is closed"). */
  const failures = new Map<Redis, Error>();

  /** An ioredis client over TLS trusting `ca` (the cluster's certificate by default). */
  const client = (node: TlsNode, options: { ca?: string; password?: string } = {}) => {
    const redis = new Redis({
      host: "127.0.0.1",
      port: node.port,
      password: options.password ?? SECRET,
      tls: { ca: [options.ca ?? cluster.cert] },
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    redis.on("error", (error: Error) => failures.has(redis) || failures.set(redis, error));
    clients.push(redis);
    return redis;
  };

  const startNode = async (id: number, join: TlsNode | undefined, certificate: CertFiles, extra: string[] = []): Promise<TlsNode> => {
    const port = await freePort();
    const process = spawnCli([
      appPath("kvdb"), "-n", String(id), "-a", `127.0.0.1:${port}`, "-d", dataDir, "--localtime",
      "--tls-cert", certificate.certPath, "--tls-key", certificate.keyPath, "--auth", SECRET,
      ...(join ? ["-j", join.address] : []), ...extra,
    ]);
    await unlessExited(process, waitForPong(port, 30_000, true), `node ${id}`);
    return { id, port, address: `127.0.0.1:${port}`, process };
  };

  const leaderInfo = async () => {
    const redis = client(nodes[0]);
    await redis.connect();
    const flat = (await redis.call("RAFT", "INFO")) as string[];
    redis.disconnect();
    const info: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) info[flat[i]] = flat[i + 1];
    return info;
  };

  before(async () => {
    certs = makeTempDir("uhaha-tls-certs-");
    dataDir = makeTempDir("uhaha-tls-cluster-");
    cluster = selfSigned(certs, "cluster");
    stranger = selfSigned(certs, "stranger");
    onCleanup(() => clients.forEach((redis) => redis.disconnect()));
    nodes.push(await startNode(1, undefined, cluster));
    nodes.push(await startNode(2, nodes[0], cluster));
    nodes.push(await startNode(3, nodes[0], cluster));
    const redis = client(nodes[0]);
    await redis.connect();
    await waitFor("3 members, all reached", async () => {
      const info = await leaderInfo();
      return info.state === "Leader" && info.num_peers === "2";
    }, 30_000);
    await waitFor("the first write", async () => (await redis.set("warm", "1").catch(() => "")) === "OK", 30_000);
  });
  after(() => cleanup());

  test("redis-cli --tls --cacert writes on the leader and reads on a follower's redirect", { skip: redisCliSkip() }, async () => {
    const cli = (node: TlsNode, ...args: string[]) =>
      redisCli(node.port, "--tls", "--cacert", cluster.certPath, "--no-auth-warning", "-a", SECRET, ...args);
    assert.equal(await cli(nodes[0], "SET", "cli-key", "over tls"), "OK");
    assert.equal(await cli(nodes[0], "GET", "cli-key"), "over tls");
    assert.match(await cli(nodes[1], "SET", "cli-key", "x"), /MOVED 0 127\.0\.0\.1:\d+/);
    assert.equal(await cli(nodes[1], "-c", "GET", "cli-key"), "over tls");
  });

  test("ioredis with tls verifies the certificate (SAN IP:127.0.0.1) and writes", async () => {
    const redis = client(nodes[0]);
    await redis.connect();
    assert.equal(await redis.set("io-key", "v1"), "OK");
    assert.equal(await redis.get("io-key"), "v1");
    assert.equal(await redis.call("RAFT", "LEADER"), nodes[0].address);
    // Without a client certificate a client may do anything but add a member.
    await assert.rejects(redis.call("RAFT", "SERVER", "ADD", "9", "127.0.0.1:9"), /RAFT SERVER ADD needs a client TLS certificate/);
  });

  test("a client without TLS gets no answer", async () => {
    const received = await new Promise<string>((resolve, reject) => {
      let text = "";
      const socket = net.connect(nodes[0].port, "127.0.0.1", () => socket.write("*1\r\n$4\r\nPING\r\n"));
      socket.setTimeout(15_000, () => reject(new Error("a plain-text connection stayed open for 15 s")));
      socket.on("data", (chunk) => (text += chunk.toString("latin1")));
      socket.on("error", () => {});
      socket.on("close", () => resolve(text));
    });
    assert.doesNotMatch(received, /PONG|NOAUTH/);
  });

  test("a client trusting another CA refuses the node (ioredis and redis-cli)", async () => {
    const redis = client(nodes[0], { ca: stranger.cert });
    await assert.rejects(redis.connect());
    assert.match(String(failures.get(redis)), /self.signed|certificate/i);
    if (redisCliSkip() === undefined) {
      const out = await redisCli(nodes[0].port, "--tls", "--cacert", stranger.certPath, "--no-auth-warning", "-a", SECRET, "PING");
      assert.match(out, /certificate verify failed/);
    }
  });

  test("a wrong password is refused (ioredis gives up, redis-cli gets NOAUTH)", async () => {
    const redis = client(nodes[0], { password: "wrong" });
    await assert.rejects(redis.connect());
    assert.match(String(failures.get(redis)), /invalid password/);
    if (redisCliSkip() === undefined) {
      const out = await redisCli(nodes[0].port, "--tls", "--cacert", cluster.certPath, "--no-auth-warning", "-a", "wrong", "GET", "io-key");
      assert.match(out, /NOAUTH|invalid password/);
      assert.doesNotMatch(out, /v1/);
    }
  });

  test("a peer with a certificate from another CA is refused, and the cluster keeps its leader, term and writes", async () => {
    const before = await leaderInfo();
    // Knows the secret and trusts the cluster's certificate: only the acceptor's certificate check stops it.
    const rogue = await dial({
      address: nodes[0].address,
      tls: { cert: stranger.cert, key: stranger.key, ca: [cluster.cert] },
      selfId: 2, selfAddress: nodes[1].address, targetId: 1, purpose: Purpose.Messages, secret: SECRET,
      timeoutMs: 5_000, maxFrameBytes: 1 << 20,
    });
    assert.equal(rogue.ok, false);
    assert.match(rogue.ok ? "" : rogue.error, /refused by the peer: the peer's TLS certificate is not trusted/);
    await waitFor("the refusal in the leader's log", () => /refused peer connection from 127\.0\.0\.1:\d+: the peer's TLS certificate is not trusted/.test(nodes[0].process.stderr()));

    // A whole node with that certificate, told to join: it does not trust the cluster (default CA: its own certificate).
    const port = await freePort();
    const intruder = spawnCli([
      appPath("kvdb"), "-n", "4", "-a", `127.0.0.1:${port}`, "-d", makeTempDir("uhaha-intruder-"), "--localtime",
      "--tls-cert", stranger.certPath, "--tls-key", stranger.keyPath, "--auth", SECRET, "-j", nodes[0].address,
    ]);
    await waitFor("the intruder's failed join", () => /join.*(self.signed|certificate)/i.test(intruder.stderr()), 20_000);
    assert.ok(isRunning(intruder));
    await intruder.kill();

    // The same, trusting the cluster's certificate: the password gets it through AUTH, not through RAFT SERVER ADD.
    const port5 = await freePort();
    const trusting = spawnCli([
      appPath("kvdb"), "-n", "5", "-a", `127.0.0.1:${port5}`, "-d", makeTempDir("uhaha-intruder-"), "--localtime",
      "--tls-cert", stranger.certPath, "--tls-key", stranger.keyPath, "--tls-ca", cluster.certPath, "--auth", SECRET,
      "-j", nodes[0].address,
    ]);
    await waitFor("its refused join", () => trusting.stderr().includes("RAFT SERVER ADD needs a client TLS certificate this cluster trusts"), 20_000);
    await trusting.kill();

    const after = await leaderInfo();
    assert.equal(after.state, "Leader");
    assert.equal(after.term, before.term, "no election was caused");
    assert.equal(after.num_peers, "2");
    const redis = client(nodes[0]);
    await redis.connect();
    assert.equal(await redis.set("after-rogue", "still writing"), "OK");
    assert.deepEqual((await redis.call("RAFT", "SERVER", "LIST") as unknown[]).length, 3);
  });
});
