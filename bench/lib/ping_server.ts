/**
 * A bare RESP server on `node:net`: the ceiling of the runtime it runs on
 * for the benchmark's requests. It frames each command (RESP arrays of bulk
 * strings, or inline lines) and answers with a canned reply chosen by the
 * command's first letter — GET: a fixed bulk string of the benchmark's
 * value size, SET: +OK, anything else: +PONG — one write per read, as a
 * server that pipelines well does. No command table, no storage.
 *
 *   node --import tsx bench/lib/ping_server.ts <port> [getReplyBytes]
 *   ./node_modules/deno/deno run -A bench/lib/ping_server.ts <port> [getReplyBytes]
 */
import * as net from "node:net";
import process from "node:process";
import { pathToFileURL } from "node:url";

const CR = 13;
const LF = 10;
const OK = Buffer.from("+OK\r\n");
const PONG = Buffer.from("+PONG\r\n");

/** Parses the decimal digits of `buf` in [start, end). */
function decimal(buf: Buffer, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (buf[i] - 48);
  return value;
}

/**
 * Frames one command at `start`: resolves to the offset after it and the
 * first byte of its name (lower-cased), or undefined while incomplete.
 */
function frameCommand(buf: Buffer, start: number): { end: number; letter: number } | undefined {
  if (buf[start] !== 0x2a /* '*' */) {
    const lf = buf.indexOf(LF, start);
    return lf < 0 ? undefined : { end: lf + 1, letter: buf[start] | 0x20 };
  }
  const headerEnd = buf.indexOf(CR, start);
  if (headerEnd < 0 || headerEnd + 1 >= buf.length) return undefined;
  const count = decimal(buf, start + 1, headerEnd);
  let at = headerEnd + 2;
  let letter = 0;
  for (let i = 0; i < count; i++) {
    const lengthEnd = buf.indexOf(CR, at);
    if (lengthEnd < 0) return undefined;
    const length = decimal(buf, at + 1, lengthEnd); // after '$'
    const dataStart = lengthEnd + 2;
    if (i === 0) letter = buf[dataStart] | 0x20;
    at = dataStart + length + 2;
    if (at > buf.length) return undefined;
  }
  return { end: at, letter };
}

/** Starts the server on 127.0.0.1:`port`; resolves once it listens. */
export function startPingServer(port: number, getReplyBytes = 64): Promise<net.Server> {
  const getReply = Buffer.from(`$${getReplyBytes}\r\n${"x".repeat(getReplyBytes)}\r\n`);
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let pending: Buffer | undefined;
    socket.on("data", (chunk: Buffer) => {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      const replies: Buffer[] = [];
      let at = 0;
      for (;;) {
        const command = frameCommand(buf, at);
        if (!command) break;
        at = command.end;
        replies.push(command.letter === 0x67 /* g */ ? getReply : command.letter === 0x73 /* s */ ? OK : PONG);
      }
      pending = at < buf.length ? buf.subarray(at) : undefined;
      if (replies.length === 1) socket.write(replies[0]);
      else if (replies.length > 1) socket.write(Buffer.concat(replies));
    });
    socket.on("error", () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

const meta = import.meta as ImportMeta & { main?: boolean };
if (meta.main ?? (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)) {
  const [port, bytes] = process.argv.slice(2).map(Number);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write("usage: ping_server.ts <port> [getReplyBytes]\n");
    process.exit(2);
  }
  await startPingServer(port, Number.isInteger(bytes) ? bytes : undefined);
}
