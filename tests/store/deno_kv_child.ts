/**
 * Runs ops (JSON lines on stdin) against the real Deno KV (an in-memory
 * database, reopened at each "reset") and writes each result as a JSON
 * line. Run by the npm deno binary with --unstable-kv.
 */
// deno-lint-ignore-file no-explicit-any
import { type KvLike, type Op, runOp } from "./kv_diff_ops.ts";

const deno = (globalThis as any).Deno;
let kv: KvLike & { close(): void } = await deno.openKv(":memory:");
const u64 = (n: bigint) => new deno.KvU64(n);
const encoder = new TextEncoder();
const writer = deno.stdout.writable.getWriter();
let buffered = "";
for await (const chunk of deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buffered += chunk;
  const lines = buffered.split("\n");
  buffered = lines.pop()!;
  let out = "";
  for (const line of lines) {
    if (!line) continue;
    const op = JSON.parse(line) as Op;
    if (op.t === "reset") {
      kv.close();
      kv = await deno.openKv(":memory:");
    }
    // ASCII only: the reader decodes chunks of the pipe, which may split a UTF-8 sequence.
    out += JSON.stringify(await runOp(kv, op, u64)).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) + "\n";
  }
  await writer.write(encoder.encode(out));
}
await writer.close();
