/**
 * A 3-node cluster whose nodes run with --auth: startCluster's probes
 * (RAFT LEADER without AUTH) cannot see it, so these ask with the secret.
 */
import { appPath } from "../helpers/cluster.ts";
import { freePort, makeTempDir, type Spawned, waitFor } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { show } from "./order_model.ts";
import { startExecutableNode, startNode } from "./support.ts";

export interface AuthNode {
  readonly id: number;
  readonly port: number;
  readonly address: string;
  readonly process: Spawned;
}

/** Sends AUTH `secret`, then `args`; the reply as order_model's `show` writes it (e.g. `$127.0.0.1:7000`). */
export async function askWithAuth(port: number, secret: string, ...args: string[]): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    const auth = show(await client.call("AUTH", secret));
    if (auth !== "+OK") throw new Error(`AUTH on ${port}: ${auth}`);
    return show(await client.call(...args));
  } finally {
    client.close();
  }
}

/**
 * Starts `size` nodes of `example` with `--auth secret` and `extraArgs`;
 * resolves once the leader lists them all. `runner` "executable" runs them
 * as `dist/uhaha <example>` (built in) instead of cli.ts on this runtime.
 */
export async function startAuthCluster(
  example: string,
  size: number,
  secret: string,
  extraArgs: string[] = [],
  runner: "runtime" | "executable" = "runtime",
): Promise<AuthNode[]> {
  const dataDir = makeTempDir("uhaha-auth-cluster-");
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const nodes: AuthNode[] = [];
  for (const [i, port] of ports.entries()) {
    const join = i === 0 ? [] : ["-j", `127.0.0.1:${ports[0]}`];
    const app = runner === "executable" ? example : appPath(example);
    const args = [app, "-n", String(i + 1), "-a", `127.0.0.1:${port}`, "-d", dataDir, "--auth", secret, ...join, ...extraArgs];
    const started = runner === "executable" ? startExecutableNode(port, args) : startNode(port, args);
    nodes.push({ id: i + 1, port, address: `127.0.0.1:${port}`, process: await started });
    if (i === 0) await authLeader(nodes, secret);
  }
  const leader = await authLeader(nodes, secret);
  await waitFor(`${size} members`, async () => (await askWithAuth(leader.port, secret, "RAFT", "SERVER", "LIST")).split("$id").length - 1 === size, 30_000);
  return nodes;
}

/** The node whose RAFT LEADER names itself. */
export function authLeader(nodes: readonly AuthNode[], secret: string, timeoutMs = 20_000): Promise<AuthNode> {
  return waitFor("a leader", async () => {
    const answers: string[] = [];
    for (const node of nodes) {
      const answer = await askWithAuth(node.port, secret, "RAFT", "LEADER").catch((error) => `(${(error as Error).message})`);
      if (answer === `$${node.address}`) return node;
      answers.push(`node ${node.id}: ${answer}`);
    }
    // Thrown, not returned: a timeout then says what each node last answered.
    throw new Error(`no node names itself leader: ${answers.join("; ")}`);
  }, timeoutMs);
}
