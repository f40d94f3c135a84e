/**
 * All benchmarks, one after another: `npm run bench`. Each prints its
 * figures beside a peer measured in the same run.
 */
import { runRespPingBench } from "./resp_ping.ts";

await runRespPingBench();
