import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseFlags } from "../../cli/flags.ts";
import { parseByteSize } from "../../cli/limit_flags.ts";
import { DEFAULT_NODE_LIMITS } from "../../cluster/node_limits.ts";

describe("limit flags", () => {
  test("defaults, and every limit given", () => {
    const defaults = parseFlags([]);
    assert.ok(defaults.ok);
    assert.deepEqual(defaults.flags.limits, DEFAULT_NODE_LIMITS);
    assert.deepEqual(DEFAULT_NODE_LIMITS, {
      maxClients: 10_000, authTimeoutMs: 10_000, maxReplyBufferBytes: 32 * 1024 * 1024, maxQueuedWrites: 100_000,
    });
    const given = parseFlags(["--max-clients", "5", "-auth-timeout=1.5", "--max-reply-buffer", "512KB", "--max-queued-writes", "0"]);
    assert.ok(given.ok);
    assert.deepEqual(given.flags.limits, { maxClients: 5, authTimeoutMs: 1500, maxReplyBufferBytes: 512 * 1024, maxQueuedWrites: 0 });
  });

  test("sizes: bytes, k/kb, m/mb, g/gb in any case, up to 1 TiB", () => {
    assert.equal(parseByteSize("1048576"), 1024 * 1024);
    assert.equal(parseByteSize("32mb"), 32 * 1024 * 1024);
    assert.equal(parseByteSize("2G"), 2 * 1024 ** 3);
    assert.equal(parseByteSize("7k"), 7 * 1024);
    for (const bad of ["", "-1", "1.5mb", "mb", "12tb", "2000gb", "1 mb"]) assert.equal(parseByteSize(bad), undefined, bad);
  });

  test("bad values name the flag as written and what it needs", () => {
    const cases: [string[], string][] = [
      [["--max-clients", "many"], "--max-clients needs a number of clients (0 for no limit), got 'many'"],
      [["-max-clients=99999999999"], "-max-clients needs a number of clients (0 for no limit), got '99999999999'"],
      [["--auth-timeout", "soon"], "--auth-timeout needs a number of seconds (0 for none), got 'soon'"],
      [["--max-reply-buffer", "lots"], "--max-reply-buffer needs a size such as 32mb, 512kb or 1gb (0 for no limit), got 'lots'"],
      [["--max-queued-writes", "1e3"], "--max-queued-writes needs a number of writes (0 for no limit), got '1e3'"],
      [["--max-clients"], "--max-clients needs a number of clients (0 for no limit)"],
    ];
    for (const [argv, error] of cases) assert.deepEqual(parseFlags(argv), { ok: false, error }, argv.join(" "));
  });
});
