/**
 * One RESP request to another node, as a client: connect (TCP or TLS),
 * optionally AUTH, send a command, read one reply, close. Used to join a
 * cluster. Rejects on connection errors and after `timeoutMs`.
 */
import { parseHostPort } from "../api/host_port.ts";
import * as net from "node:net";
import * as tls from "node:tls";
import { dialTlsOptions, type PeerTls } from "../raft/transport/peer_tls.ts";
import { ByteQueue } from "../server/byte_queue.ts";
import { parseReply, type Reply } from "../server/resp_reply_parser.ts";
import { encodeCommand } from "../server/resp_writer.ts";

export interface RespRequestOptions {
  readonly address: string;
  /** Verified TLS, as between peers (the request may carry the password). */
  readonly tls: PeerTls | undefined;
  readonly password: string | undefined;
  readonly timeoutMs: number;
}

export function respRequest(options: RespRequestOptions, args: readonly string[]): Promise<Reply> {
  const address = parseHostPort(options.address);
  if (typeof address === "string") return Promise.reject(new Error(`cannot reach '${options.address}': ${address}`));
  const host = address.host || "127.0.0.1";
  const port = address.port;
  return new Promise((resolve, reject) => {
    const socket = options.tls
      ? tls.connect(dialTlsOptions(options.tls, host, port))
      : net.connect({ host, port });
    const timer = setTimeout(() => finish(new Error(`no reply from ${options.address} within ${options.timeoutMs} ms`)), options.timeoutMs);
    const input = new ByteQueue();
    const replies: Reply[] = [];
    const expected = options.password === undefined ? 1 : 2;
    const finish = (outcome: Reply | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    socket.on("error", (error) => finish(new Error(`cannot reach ${options.address}: ${error.message}`)));
    socket.on("data", (chunk: Uint8Array) => {
      input.append(chunk);
      while (true) {
        const result = parseReply(input.bytes, input.start, input.end);
        if (result.kind === "incomplete") return;
        if (result.kind === "error") return finish(new Error(`bad reply from ${options.address}: ${result.message}`));
        input.consume(result.consumed);
        replies.push(result.reply);
        if (replies.length === expected) return finish(replies[expected - 1]);
        if (replies[0].type === "error") return finish(new Error(`AUTH at ${options.address} failed: ${replies[0].text}`));
      }
    });
    const request = options.password === undefined ? [] : [encodeCommand(["AUTH", options.password])];
    request.push(encodeCommand(args));
    for (const bytes of request) socket.write(bytes);
  });
}
