/**
 * `npm run demo`: a local 3-node kvdb cluster in the foreground (ports
 * 11001-11003, data under ./data/demo). Ctrl-C stops all three.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const children: ChildProcess[] = [];

function startNode(id: number): ChildProcess {
  const args = [
    "--import", "tsx", "cli.ts", "examples/kvdb.ts",
    "-n", String(id), "-a", `127.0.0.1:${11000 + id}`, "-d", "data/demo",
    ...(id === 1 ? [] : ["-j", "127.0.0.1:11001"]),
  ];
  // Own process group: Ctrl-C reaches only this script, which stops each node once.
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "inherit", "pipe"], detached: true });
  child.stderr!.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n").filter(Boolean)) process.stderr.write(`[node ${id}] ${line}\n`);
  });
  child.on("exit", (code, signal) => process.stderr.write(`[node ${id}] exited (${signal ?? code})\n`));
  children.push(child);
  return child;
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        child.stderr!.off("data", onData);
        resolve();
      }
    };
    child.stderr!.on("data", onData);
    child.once("exit", () => reject(new Error(`node exited before printing ${pattern}`)));
  });
}

let stopping = false;
async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write("stopping the demo cluster…\n");
  await Promise.all(children.map((child) =>
    child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => {
      child.once("exit", resolve);
      process.kill(child.pid!, "SIGTERM");
    })
  ));
  process.exit(0);
}
process.on("SIGINT", () => void stopAll());
process.on("SIGTERM", () => void stopAll());

await waitForLine(startNode(1), /ready for commands/);
for (const id of [2, 3]) await waitForLine(startNode(id), /join accepted|ready for commands/);
process.stdout.write(`
3-node kvdb cluster running on 127.0.0.1:11001-11003 (data in data/demo).
  redis-cli -p 11001 SET hello world
  redis-cli -p 11002 GET hello          # a follower answers MOVED to the leader
  redis-cli -p 11001 RAFT SERVER LIST
Press Ctrl-C to stop all three.
`);
