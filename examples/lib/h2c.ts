/**
 * HTTP/2 over cleartext with prior knowledge (h2c), on one already-accepted
 * connection, for services that share the node's port: Deno's KV Connect
 * client speaks only this to an http:// URL. The framing and HPACK are
 * node:http2's; this file feeds it the connection, first bytes included,
 * and maps its streams to the same handler as ./http1.ts.
 *
 * Why a stream wrapper and not the socket itself: the node already read the
 * connection's first bytes to choose the service, and node:http2 on Node
 * reads a net.Socket's handle directly, so bytes put back with unshift()
 * are never seen. Through a plain Duplex it reads what the wrapper pushes.
 */
import http2 from "node:http2";
import { Duplex } from "node:stream";
import type { ServiceConnection } from "../../mod.ts";
import type { HttpHandler, HttpRequest, HttpResponse } from "./http1.ts";

const PREFACE = "PRI * HTTP/2.0\r\n";
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

/** Does a connection that starts with these bytes open HTTP/2 with prior knowledge? */
export function looksLikeH2c(firstBytes: Uint8Array): boolean {
  return latin1.decode(firstBytes.subarray(0, PREFACE.length)) === PREFACE;
}

/** The connection as a Duplex that yields `firstBytes` first, with back-pressure passed through. */
function replaying(connection: ServiceConnection, firstBytes: Uint8Array): Duplex {
  const duplex = new Duplex({
    read: () => void connection.resume(),
    write: (chunk: Uint8Array, _encoding, done) => {
      connection.write(chunk);
      done();
    },
    final: (done) => {
      connection.end();
      done();
    },
  });
  duplex.push(firstBytes);
  connection.on("data", (chunk) => {
    if (!duplex.push(chunk)) connection.pause();
  });
  connection.on("close", () => duplex.destroy());
  connection.on("error", () => duplex.destroy());
  return duplex;
}

function toRequest(headers: http2.IncomingHttpHeaders, body: Uint8Array): HttpRequest {
  const target = String(headers[":path"] ?? "/");
  const url = new URL(target, "http://localhost");
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    path = url.pathname;
  }
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(":") && value !== undefined) map.set(name, Array.isArray(value) ? value.join(", ") : String(value));
  }
  return { method: String(headers[":method"] ?? "GET"), path, query: url.searchParams, target, headers: map, body };
}

async function respond(stream: http2.ServerHttp2Stream, response: HttpResponse): Promise<void> {
  if (stream.destroyed) return;
  const headers: http2.OutgoingHttpHeaders = { ":status": response.status, "content-type": "text/plain; charset=utf-8" };
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
  stream.respond(headers);
  if (response.stream) {
    try {
      await response.stream((chunk) => {
        if (!stream.destroyed && chunk.length > 0) stream.write(chunk);
      }, () => stream.destroyed || stream.closed);
    } catch {
      // A stream that broke mid-body cannot be answered any more: reset it, and the client retries.
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    if (!stream.destroyed) stream.end();
    return;
  }
  const body = typeof response.body === "string" ? encoder.encode(response.body) : response.body ?? new Uint8Array(0);
  stream.end(body);
}

/** Serves h2c on `connection`, whose first bytes (`firstBytes`) were already read; streams are handled concurrently. */
export function serveH2c(connection: ServiceConnection, firstBytes: Uint8Array, handler: HttpHandler): void {
  const server = http2.createServer();
  server.on("sessionError", () => {});
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    const chunks: Uint8Array[] = [];
    let length = 0;
    stream.on("data", (chunk: Uint8Array) => {
      length += chunk.length;
      if (length > MAX_BODY_BYTES) {
        if (length - chunk.length <= MAX_BODY_BYTES) {
          respond(stream, { status: 413, body: `body larger than ${MAX_BODY_BYTES} bytes\n` }).catch(() => stream.destroy());
        }
        return;
      }
      chunks.push(chunk);
    });
    stream.on("end", async () => {
      if (length > MAX_BODY_BYTES) return;
      const body = new Uint8Array(length);
      let at = 0;
      for (const chunk of chunks) {
        body.set(chunk, at);
        at += chunk.length;
      }
      let response: HttpResponse;
      try {
        response = await handler(toRequest(headers, body));
      } catch (error) {
        response = { status: 500, body: `${(error as Error).message}\n` };
      }
      // A stream the client reset throws on respond/write/end: that ends it, never the node.
      await respond(stream, response).catch(() => stream.destroy());
    });
  });
  server.emit("connection", replaying(connection, firstBytes));
}
