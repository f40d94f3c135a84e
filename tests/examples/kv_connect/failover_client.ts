/**
 * Writes ["failover", who, i] = i for i < total, one at a time, through
 * KV Connect — Deno's built-in client when run by Deno, @deno/kv when run
 * by Node — retrying a write that failed (a write is acknowledged only when
 * set() resolves), and prints `ack i` for each. Meant to run while the
 * test kills the leader. Ends with `RESULT {"acked":n,"listed":[…]}`.
 *
 *   failover_client.ts <url> <who> <total>
 */
import process from "node:process";
import type { KvClient } from "./workload.ts";

const [url, who, totalText] = process.argv.slice(-3);
const total = Number(totalText);

async function open(): Promise<KvClient> {
  if ("Deno" in globalThis) return await (globalThis as unknown as { Deno: { openKv(url: string): Promise<KvClient> } }).Deno.openKv(url);
  const { openKv } = await import("@deno/kv");
  return await openKv(url) as unknown as KvClient;
}

async function retrying<T>(what: string, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await run();
    } catch (error) {
      console.log(`[${who}] retry ${what} (attempt ${attempt}): ${String((error as Error).message).split("\n")[0].slice(0, 160)}`);
      if (attempt >= 60) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

const kv = await open();
let acked = 0;
for (let i = 0; i < total; i++) {
  await retrying(`set ${i}`, () => kv.set(["failover", who, i], i));
  acked++;
  console.log(`[${who}] ack ${i}`);
  await new Promise((resolve) => setTimeout(resolve, 25));
}
const listed = await retrying("list", async () => {
  const out: number[] = [];
  for await (const entry of kv.list({ prefix: ["failover", who] })) out.push(entry.value as number);
  return out;
});
kv.close();
console.log(`RESULT ${JSON.stringify({ acked, listed })}`);
