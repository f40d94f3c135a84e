import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteQueue } from "../../server/byte_queue.ts";
import { parseReply, type Reply } from "../../server/resp_reply_parser.ts";
import { encodeReply } from "../../server/resp_writer.ts";
import { concatBytes, splitAt } from "../helpers/chunks.ts";
import { type ReplyValue, resp } from "../../api/reply.ts";

const dec = new TextDecoder();
const text = (value: ReplyValue) => dec.decode(encodeReply(value));

describe("RESP reply writer", () => {
  const cases: Array<[string, ReplyValue, string]> = [
    ["string as bulk", "hi", "$2\r\nhi\r\n"],
    ["number as bulk (uhaha)", 42, "$2\r\n42\r\n"],
    ["bigint as bulk", 12345678901234567890n, "$20\r\n12345678901234567890\r\n"],
    ["true as bulk 1", true, "$1\r\n1\r\n"],
    ["false as bulk 0", false, "$1\r\n0\r\n"],
    ["null bulk", null, "$-1\r\n"],
    ["undefined as null bulk", undefined, "$-1\r\n"],
    ["bytes", new Uint8Array([0, 255, 13, 10]), "$4\r\n\x00\xff\r\n\r\n"],
    ["explicit integer", resp.int(-7), ":-7\r\n"],
    ["explicit bigint integer", resp.int(2n ** 63n - 1n), ":9223372036854775807\r\n"],
    ["simple string", resp.ok, "+OK\r\n"],
    ["simple string loses line breaks", resp.simple("a\r\nb"), "+a b\r\n"],
    ["null array", resp.nullArray, "*-1\r\n"],
    ["empty array", [], "*0\r\n"],
    ["nested array", ["a", [resp.int(1), null]], "*2\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n"],
    ["object as sorted flat array", { b: "2", a: "1" }, "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"],
    ["map as sorted flat array", new Map([["z", "1"], ["y", "2"]]), "*4\r\n$1\r\ny\r\n$1\r\n2\r\n$1\r\nz\r\n$1\r\n1\r\n"],
    [
      "ordered map keeps its order",
      resp.orderedMap([["id", "1"], ["address", "a:1"], ["leader", true]]),
      "*6\r\n$2\r\nid\r\n$1\r\n1\r\n$7\r\naddress\r\n$3\r\na:1\r\n$6\r\nleader\r\n$1\r\n1\r\n",
    ],
    ["ordered maps in an array", [resp.orderedMap([["z", null]]), resp.orderedMap([])], "*2\r\n*2\r\n$1\r\nz\r\n$-1\r\n*0\r\n"],
    ["plain error gets ERR", new Error("syntax error"), "-ERR syntax error\r\n"],
    ["MOVED kept", new Error("MOVED 0 127.0.0.1:11002"), "-MOVED 0 127.0.0.1:11002\r\n"],
    ["TRY kept", new Error("TRY 127.0.0.1:11002"), "-TRY 127.0.0.1:11002\r\n"],
    ["NOAUTH kept", new Error("NOAUTH Authentication required."), "-NOAUTH Authentication required.\r\n"],
    ["CLUSTERDOWN kept", new Error("CLUSTERDOWN The cluster is down"), "-CLUSTERDOWN The cluster is down\r\n"],
    ["WRONGTYPE kept", new Error("WRONGTYPE bad"), "-WRONGTYPE bad\r\n"],
    ["capitalised word is not a code", new Error("Protocol error: x"), "-ERR Protocol error: x\r\n"],
    ["error line breaks removed", new Error("two\nlines"), "-ERR two lines\r\n"],
  ];
  for (const [name, value, expected] of cases) {
    test(name, () => {
      assert.deepEqual(encodeReply(value), Uint8Array.from(expected, (c) => c.charCodeAt(0)));
    });
  }

  test("a multi-byte string's bulk length counts bytes", () => {
    assert.equal(text("é"), "$2\r\né\r\n");
  });

  test("property: replies survive any split of the stream", () => {
    const leaf: fc.Arbitrary<ReplyValue> = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => resp.int(n)),
      fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s)).map((s) => resp.simple(s)),
      fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s)).map((s) => new Error(s)),
      fc.constant(null),
      fc.constant(resp.nullArray),
    );
    const tree = fc.letrec<{ node: ReplyValue }>((tie) => ({
      node: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("node"), { maxLength: 5 })),
    })).node;
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (values, cuts) => {
        const queue = new ByteQueue();
        const parsed: Reply[] = [];
        for (const chunk of splitAt(concatBytes(values.map(encodeReply)), cuts)) {
          queue.append(chunk);
          while (true) {
            const result = parseReply(queue.bytes, queue.start, queue.end);
            if (result.kind === "error") throw new Error(result.message);
            if (result.kind === "incomplete") break;
            parsed.push(result.reply);
            queue.consume(result.consumed);
          }
        }
        assert.deepEqual(parsed, values.map(expectedReply));
      }),
      { numRuns: 300 },
    );
  });
});

/** What a client should read back for a value built from the generators above. */
function expectedReply(value: ReplyValue): Reply {
  const enc = new TextEncoder();
  if (value === null) return { type: "bulk", value: null };
  if (typeof value === "string") return { type: "bulk", value: enc.encode(value) };
  if (value instanceof Uint8Array) return { type: "bulk", value: Uint8Array.from(value) };
  if (value instanceof Error) {
    return { type: "error", text: /^[A-Z][A-Z_]+(?: |$)/.test(value.message) ? value.message : `ERR ${value.message}` };
  }
  if (Array.isArray(value)) return { type: "array", items: value.map(expectedReply) };
  const object = value as object;
  if ("text" in object) return { type: "simple", text: (object as { text: string }).text };
  if ("value" in object) return { type: "integer", value: BigInt((object as { value: bigint }).value) };
  return { type: "array", items: null };
}
