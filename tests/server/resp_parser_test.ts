import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteQueue } from "../../server/byte_queue.ts";
import {
  DEFAULT_PARSER_LIMITS,
  parseCommand,
  type ParseResult,
  splitInlineArgs,
} from "../../server/resp_parser.ts";
import { encodeCommand } from "../../server/resp_writer.ts";
import { concatBytes, splitAt } from "../helpers/chunks.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function parseText(text: string, limits = DEFAULT_PARSER_LIMITS): ParseResult {
  const bytes = enc.encode(text);
  return parseCommand(bytes, 0, bytes.length, limits);
}

function argsOf(result: ParseResult): string[] {
  assert.equal(result.kind, "command", JSON.stringify(result));
  return (result as { args: Uint8Array[] }).args.map((a) => dec.decode(a));
}

/** Feeds `bytes` in the given chunk sizes and returns every parsed command. */
function feedInChunks(bytes: Uint8Array, cuts: number[]): Uint8Array[][] {
  const queue = new ByteQueue();
  const commands: Uint8Array[][] = [];
  for (const chunk of splitAt(bytes, cuts)) {
    queue.append(chunk);
    while (true) {
      const result = parseCommand(queue.bytes, queue.start, queue.end);
      if (result.kind === "error") throw new Error(result.message);
      if (result.kind === "incomplete") break;
      queue.consume(result.consumed);
      commands.push(result.args);
    }
  }
  assert.equal(queue.length, 0, "bytes left unparsed");
  return commands;
}

describe("RESP request parser", () => {
  const good: Array<[string, string, string[]]> = [
    ["multibulk", "*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n", ["ECHO", "hi"]],
    ["empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", ["ECHO", ""]],
    ["bulk holding CRLF", "*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n", ["ECHO", "a\r\nb"]],
    ["inline", "PING\r\n", ["PING"]],
    ["inline with LF only", "ECHO hello\n", ["ECHO", "hello"]],
    ["inline with spaces", "  SET   k  v \r\n", ["SET", "k", "v"]],
    ["inline double quotes", 'ECHO "a b\\n\\x41"\r\n', ["ECHO", "a b\nA"]],
    ["inline single quotes", "ECHO 'it\\'s'\r\n", ["ECHO", "it's"]],
    ["blank inline line", "\r\n", []],
    ["zero multibulk", "*0\r\n", []],
    ["negative multibulk", "*-1\r\n", []],
  ];
  for (const [name, text, args] of good) {
    test(`parses ${name}`, () => {
      const result = parseText(text);
      assert.deepEqual(argsOf(result), args);
      assert.equal((result as { consumed: number }).consumed, enc.encode(text).length);
    });
  }

  const bad: Array<[string, string, RegExp]> = [
    ["non-numeric multibulk", "*abc\r\n", /invalid multibulk length/],
    ["negative bulk", "*1\r\n$-5\r\n", /invalid bulk length/],
    ["bulk over 512 MB", "*1\r\n$2147483648\r\n", /invalid bulk length/],
    ["multibulk over 1M", "*1048577\r\n", /invalid multibulk length/],
    ["missing CRLF after bulk", "*1\r\n$2\r\nhiXY", /expected CRLF after bulk data/],
    ["not a bulk", "*1\r\n:5\r\n", /expected '\$', got ':'/],
    ["header without CR", "*1\n", /expected CRLF/],
    ["unbalanced quotes", 'ECHO "abc\r\n', /unbalanced quotes/],
  ];
  for (const [name, text, pattern] of bad) {
    test(`rejects ${name}`, () => {
      const result = parseText(text);
      assert.equal(result.kind, "error");
      assert.match((result as { message: string }).message, /^Protocol error: /);
      assert.match((result as { message: string }).message, pattern);
    });
  }

  test("inline request over 64 KB without a newline is an error", () => {
    const result = parseText("A".repeat(64 * 1024 + 1));
    assert.deepEqual(result, { kind: "error", message: "Protocol error: too big inline request" });
  });

  test("the bulk limit is configurable", () => {
    const limits = { ...DEFAULT_PARSER_LIMITS, maxBulkBytes: 3 };
    assert.deepEqual(argsOf(parseText("*1\r\n$3\r\nabc\r\n", limits)), ["abc"]);
    assert.equal(parseText("*1\r\n$4\r\nabcd\r\n", limits).kind, "error");
  });

  test("reports how many bytes it needs before trying again", () => {
    const text = "*2\r\n$4\r\nECHO\r\n$10\r\n0123";
    const result = parseText(text);
    assert.deepEqual(result, { kind: "incomplete", needed: text.length - 4 + 12 });
  });

  test("every prefix of a command is incomplete, never an error", () => {
    const bytes = encodeCommand(["SET", "key", "va\r\nlue", ""]);
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.equal(parseCommand(bytes, 0, cut).kind, "incomplete", `cut at ${cut}`);
    }
  });

  test("many pipelined commands in one chunk", () => {
    const one = encodeCommand(["PING"]);
    const chunk = new Uint8Array(one.length * 1000);
    for (let i = 0; i < 1000; i++) chunk.set(one, i * one.length);
    assert.equal(feedInChunks(chunk, []).length, 1000);
  });

  test("property: binary arguments survive any split of the stream", () => {
    const argument = fc.uint8Array({ maxLength: 300 });
    const command = fc.array(argument, { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 20 }), (commands, cuts) => {
        const stream = concatBytes(commands.map((args) => encodeCommand(args)));
        assert.deepEqual(feedInChunks(stream, cuts), commands);
      }),
      { numRuns: 300 },
    );
  });

  test("property: inline words round-trip through quoting", () => {
    const word = fc.string({ minLength: 1, maxLength: 12 }).filter((w) => !/[\r\n]/.test(w));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), (words) => {
        const line = words.map((w) => `"${w.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(" ");
        assert.deepEqual(splitInlineArgs(line), words);
      }),
      { numRuns: 300 },
    );
  });
});
