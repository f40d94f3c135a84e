/**
 * A minimal HTTP/1.1 server on one already-accepted socket, for custom
 * services that share the node's port: request line, headers and a
 * Content-Length body (no chunked uploads), keep-alive and pipelined
 * requests answered in order. Enough for curl, fetch and browsers.
 */
import type { ServiceConnection } from "../../mod.ts";

export interface HttpRequest {
  readonly method: string;
  /** The path, percent-decoded, without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The request target as sent (path and query). */
  readonly target: string;
  /** Header names in lower case. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /**
   * A streamed body instead of `body` (sent chunked): called once the head
   * is written, with `send` for each chunk and `closed` telling whether the
   * client went away; the response ends when the promise settles.
   */
  readonly stream?: (send: (chunk: Uint8Array) => void, closed: () => boolean) => Promise<void>;
}

export type HttpHandler = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

const MAX_HEAD_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const REASONS: Record<number, string> = {
  200: "OK",
  204: "No Content",
  307: "Temporary Redirect",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  411: "Length Required",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** A request that could not be parsed: answered with `status`, then the connection closes. */
class BadRequest extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface Parsed {
  readonly request: HttpRequest;
  readonly keepAlive: boolean;
  readonly consumed: number;
}

function indexOfHeadEnd(buffer: Uint8Array): number {
  for (let i = 0; i + 3 < buffer.length; i++) {
    if (buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 && buffer[i + 3] === 10) return i;
  }
  return -1;
}

/** One request from the front of `buffer`, or undefined when more bytes are needed. */
function parseRequest(buffer: Uint8Array): Parsed | undefined {
  const headEnd = indexOfHeadEnd(buffer);
  if (headEnd === -1) {
    if (buffer.length > MAX_HEAD_BYTES) throw new BadRequest(431, "request head too large");
    return undefined;
  }
  const lines = latin1.decode(buffer.subarray(0, headEnd)).split("\r\n");
  const requestLine = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(lines[0]);
  if (!requestLine) throw new BadRequest(400, "malformed request line");
  const [, method, target, minor] = requestLine;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new BadRequest(400, "malformed header line");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  if (headers.has("transfer-encoding")) throw new BadRequest(501, "chunked request bodies are not supported; send Content-Length");
  const lengthText = headers.get("content-length") ?? "0";
  if (!/^\d+$/.test(lengthText)) throw new BadRequest(400, "bad Content-Length");
  const length = Number(lengthText);
  if (length > MAX_BODY_BYTES) throw new BadRequest(413, `body larger than ${MAX_BODY_BYTES} bytes`);
  const bodyStart = headEnd + 4;
  if (buffer.length < bodyStart + length) return undefined;
  const url = new URL(target, "http://localhost");
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new BadRequest(400, "bad percent-encoding in path");
  }
  const connection = (headers.get("connection") ?? "").toLowerCase();
  const keepAlive = minor === "1" ? !connection.includes("close") : connection.includes("keep-alive");
  return {
    request: { method, path, query: url.searchParams, target, headers, body: buffer.slice(bodyStart, bodyStart + length) },
    keepAlive,
    consumed: bodyStart + length,
  };
}

/** Received bytes not yet parsed; grows by doubling, so a large body costs linear time. */
class InputBuffer {
  #data = new Uint8Array(4096);
  #start = 0;
  #end = 0;

  get bytes(): Uint8Array {
    return this.#data.subarray(this.#start, this.#end);
  }

  get length(): number {
    return this.#end - this.#start;
  }

  append(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#data.length) {
      const live = this.bytes;
      let capacity = this.#data.length;
      while (capacity < live.length + chunk.length) capacity *= 2;
      const data = capacity === this.#data.length ? this.#data : new Uint8Array(capacity);
      data.set(live, 0);
      this.#data = data;
      this.#start = 0;
      this.#end = live.length;
    }
    this.#data.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  consume(count: number): void {
    this.#start += count;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }
}

function writeResponse(socket: ServiceConnection, method: string, response: HttpResponse, keepAlive: boolean): void {
  const body = typeof response.body === "string" ? encoder.encode(response.body) : response.body ?? new Uint8Array(0);
  const headers: Record<string, string> = {
    "Content-Type": "text/plain; charset=utf-8",
    ...response.headers,
    ...(response.stream ? { "Transfer-Encoding": "chunked" } : { "Content-Length": String(body.length) }),
    "Connection": keepAlive ? "keep-alive" : "close",
  };
  let head = `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? "Unknown"}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value.replace(/[\r\n]/g, " ")}\r\n`;
  socket.write(encoder.encode(head + "\r\n"));
  if (method !== "HEAD" && body.length > 0) socket.write(body);
}

/**
 * Serves HTTP on `socket`, whose first bytes (`firstBytes`) were already
 * read. Requests are handled one at a time, in order.
 */
export function serveHttp(socket: ServiceConnection, firstBytes: Uint8Array, handler: HttpHandler): void {
  const buffer = new InputBuffer();
  let busy = false;
  let closed = false;
  socket.on("close", () => (closed = true));
  socket.on("error", () => {});

  const pump = async () => {
    if (busy) return;
    busy = true;
    try {
      while (!closed) {
        let parsed: Parsed | undefined;
        try {
          parsed = parseRequest(buffer.bytes);
        } catch (error) {
          const bad = error as BadRequest;
          writeResponse(socket, "GET", { status: bad.status ?? 400, body: `${bad.message}\n` }, false);
          socket.end();
          closed = true;
          return;
        }
        if (!parsed) break;
        buffer.consume(parsed.consumed);
        let response: HttpResponse;
        try {
          response = await handler(parsed.request);
        } catch (error) {
          response = { status: 500, body: `${(error as Error).message}\n` };
        }
        if (closed) return;
        writeResponse(socket, parsed.request.method, response, parsed.keepAlive);
        if (response.stream) {
          const send = (chunk: Uint8Array) => {
            if (closed || chunk.length === 0) return;
            socket.write(encoder.encode(`${chunk.length.toString(16)}\r\n`));
            socket.write(chunk);
            socket.write(encoder.encode("\r\n"));
          };
          try {
            await response.stream(send, () => closed);
          } catch {
            // A stream that broke mid-body cannot be answered any more: cut it, and the client retries.
            closed = true;
            socket.end();
            return;
          }
          if (closed) return;
          socket.write(encoder.encode("0\r\n\r\n"));
        }
        if (!parsed.keepAlive) {
          socket.end();
          closed = true;
          return;
        }
      }
    } finally {
      busy = false;
      if (!closed && socket.isPaused() && buffer.length <= MAX_HEAD_BYTES + MAX_BODY_BYTES) socket.resume();
    }
  };

  const onData = (chunk: Uint8Array) => {
    buffer.append(chunk);
    if (buffer.length > MAX_HEAD_BYTES + MAX_BODY_BYTES) socket.pause();
    void pump();
  };
  socket.on("data", onData);
  onData(firstBytes);
}

/** Does a connection that starts with these bytes look like an HTTP request for `methods`? */
export function looksLikeHttp(firstBytes: Uint8Array, methods: readonly string[]): boolean {
  const start = latin1.decode(firstBytes.subarray(0, 1024));
  if (!methods.some((method) => start.startsWith(`${method} /`))) return false;
  // An inline RESP command such as `GET /x` has no HTTP version on its first line.
  const lineEnd = start.indexOf("\r\n");
  return lineEnd === -1 || / HTTP\/1\.[01]$/.test(start.slice(0, lineEnd));
}
