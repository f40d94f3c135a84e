/**
 * A real Deno KV program: Deno's built-in Deno.openKv(url) (KV Connect,
 * token from DENO_KV_ACCESS_TOKEN) runs the workload under ["deno", …] and
 * reads what the other clients named in argv wrote.
 *
 *   deno run --unstable-kv -A deno_client.ts <url> <who|-> [other …]
 */
import { type KvClient, readValues, runWorkload } from "./workload.ts";

interface DenoKvApi {
  openKv(url: string): Promise<KvClient>;
  KvU64: new (n: bigint) => unknown;
}

const [url, who, ...others] = Deno.args;
const api = Deno as unknown as DenoKvApi;
const kv = await api.openKv(url);
const log = (line: string) => console.log(`[deno] ${line}`);
const result: Record<string, unknown> = {};
if (who !== "-") result.own = await runWorkload(kv, who, (n) => new api.KvU64(n), log);
for (const other of others) {
  result[other] = await readValues(kv, other);
  log(`read ${Object.keys(result[other] as object).length} values written by ${other}`);
}
kv.close();
console.log(`RESULT ${JSON.stringify(result)}`);
