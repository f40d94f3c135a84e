/**
 * A real Node program on the npm @deno/kv package: openKv(url) (KV Connect,
 * token from DENO_KV_ACCESS_TOKEN) runs the workload under [who, …] and
 * reads what the other clients named in argv wrote.
 *
 *   node --import tsx node_client.ts <url> <who|-> [other …]
 */
import { KvU64, openKv } from "@deno/kv";
import process from "node:process";
import { type KvClient, readValues, runWorkload } from "./workload.ts";

const [url, who, ...others] = process.argv.slice(2);
const kv = await openKv(url) as unknown as KvClient;
const log = (line: string) => console.log(`[node] ${line}`);
const result: Record<string, unknown> = {};
if (who !== "-") result.own = await runWorkload(kv, who, (n) => new KvU64(n), log);
for (const other of others) {
  result[other] = await readValues(kv, other);
  log(`read ${Object.keys(result[other] as object).length} values written by ${other}`);
}
kv.close();
console.log(`RESULT ${JSON.stringify(result)}`);
