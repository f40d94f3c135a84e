/**
 * Incremental RESP2 reply parser (pure, no I/O): what a client reads. Used by
 * the node when it talks to other nodes as a client (joining a cluster) and
 * by tests.
 */

export type Reply =
  | { readonly type: "simple"; readonly text: string }
  | { readonly type: "error"; readonly text: string }
  | { readonly type: "integer"; readonly value: bigint }
  | { readonly type: "bulk"; readonly value: Uint8Array | null }
  | { readonly type: "array"; readonly items: Reply[] | null };

export type ReplyParseResult =
  | { readonly kind: "reply"; readonly reply: Reply; readonly consumed: number }
  | { readonly kind: "incomplete" }
  | { readonly kind: "error"; readonly message: string };

const decoder = new TextDecoder();
const INCOMPLETE = { kind: "incomplete" } as const;

/** Parses one reply at `start`. */
export function parseReply(buf: Uint8Array, start: number, end: number): ReplyParseResult {
  const parsed = parseAt(buf, start, end);
  if (parsed === undefined) return INCOMPLETE;
  if (typeof parsed === "string") return { kind: "error", message: parsed };
  return { kind: "reply", reply: parsed.reply, consumed: parsed.next - start };
}

type Step = { reply: Reply; next: number } | string | undefined;

function parseAt(buf: Uint8Array, pos: number, end: number): Step {
  const lineEnd = buf.indexOf(10, pos);
  if (lineEnd === -1 || lineEnd >= end) return undefined;
  if (buf[lineEnd - 1] !== 13) return "expected CRLF";
  const line = decoder.decode(buf.subarray(pos + 1, lineEnd - 1));
  const next = lineEnd + 1;
  switch (String.fromCharCode(buf[pos])) {
    case "+":
      return { reply: { type: "simple", text: line }, next };
    case "-":
      return { reply: { type: "error", text: line }, next };
    case ":":
      return /^-?\d+$/.test(line) ? { reply: { type: "integer", value: BigInt(line) }, next } : "bad integer";
    case "$": {
      const length = Number(line);
      if (!Number.isInteger(length) || length < -1) return "bad bulk length";
      if (length === -1) return { reply: { type: "bulk", value: null }, next };
      if (next + length + 2 > end) return undefined;
      if (buf[next + length] !== 13 || buf[next + length + 1] !== 10) return "expected CRLF after bulk";
      return { reply: { type: "bulk", value: buf.slice(next, next + length) }, next: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (!Number.isInteger(count) || count < -1) return "bad array length";
      if (count === -1) return { reply: { type: "array", items: null }, next };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseAt(buf, at, end);
        if (item === undefined || typeof item === "string") return item;
        items.push(item.reply);
        at = item.next;
      }
      return { reply: { type: "array", items }, next: at };
    }
    default:
      return `unexpected reply type byte ${buf[pos]}`;
  }
}

/** A reply as plain JS, for logs and tests: errors as Error, bulk as string. */
export function replyToJs(reply: Reply): unknown {
  switch (reply.type) {
    case "simple":
      return reply.text;
    case "error":
      return new Error(reply.text);
    case "integer":
      return reply.value;
    case "bulk":
      return reply.value === null ? null : decoder.decode(reply.value);
    case "array":
      return reply.items === null ? null : reply.items.map(replyToJs);
  }
}
