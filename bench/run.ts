/**
 * All benchmarks, one after another: `npm run bench`. Each prints its
 * figures beside a peer measured in the same run.
 */
import { runRespPingBench } from "./resp_ping.ts";
import { runStorageBench } from "./storage_log.ts";

await runStorageBench();
await runRespPingBench();
