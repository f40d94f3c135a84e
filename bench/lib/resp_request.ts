/**
 * One RESP command on a fresh connection, for setting up benchmarks (find
 * the leader, wait for a write to succeed). Not for measuring anything.
 */
import * as net from "node:net";

/** A RESP2 reply; an error reply is an `Error` value, not a throw. */
export type RespReply = string | number | null | Error | RespReply[];

/** Parses one reply at `start`; undefined while `text` is incomplete. */
function parseReply(text: string, start: number): { value: RespReply; end: number } | undefined {
  const lineEnd = text.indexOf("\r\n", start);
  if (lineEnd < 0) return undefined;
  const line = text.slice(start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (text[start]) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new Error(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      // Setup replies are ASCII, so string length is byte length here.
      if (text.length < next + length + 2) return undefined;
      return { value: text.slice(next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespReply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(text, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`not a RESP reply: ${JSON.stringify(text.slice(start, start + 40))}`);
  }
}

function encodeCommand(args: readonly string[]): string {
  return `*${args.length}\r\n` + args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("");
}

/** Sends `args` to 127.0.0.1:`port` and resolves with the reply; rejects on a connection error or after `timeoutMs`. */
export function request(port: number, args: readonly string[], timeoutMs = 2_000): Promise<RespReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let received = "";
    const timer = setTimeout(() => finish(new Error(`no reply to ${args.join(" ")} within ${timeoutMs} ms`)), timeoutMs);
    const finish = (outcome: Error | { value: RespReply }) => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome.value);
    };
    socket.on("connect", () => socket.write(encodeCommand(args)));
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      try {
        const reply = parseReply(received, 0);
        if (reply) finish({ value: reply.value });
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.on("error", (error) => finish(error));
    socket.on("close", () => finish(new Error(`connection to port ${port} closed before a reply to ${args.join(" ")}`)));
  });
}

/** A flat [key, value, …] array reply (RESP2 map) as a record; a non-array reply gives {}. */
export function replyAsRecord(reply: RespReply): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(reply)) return record;
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = String(reply[i + 1]);
  return record;
}
