/**
 * kvdb's HTTP service, on the node's own port:
 *
 *   GET /<key>          200 with the value, 404 if absent
 *   HEAD /<key>         the same without a body
 *   PUT /<key>[?ex=s]   body = value → SET through the log (200 "OK")
 *   DELETE /<key>       DEL through the log (200, or 404 if absent)
 *   GET /_status        200 JSON: this node's Raft state (RAFT INFO fields)
 *
 * On a node with `--auth`, a request carries `Authorization: Bearer
 * <password>`: it is checked by AUTH (constant-time, slowed after repeated
 * failures from one address) and authenticates the HTTP connection, as
 * AUTH does a Redis connection. Without it, or with a wrong one: `401`.
 *
 * Commands run through `api.send`, exactly as a Redis client's would. On a
 * follower a command that needs the leader is answered `307 Temporary
 * Redirect` with `Location: http://<leader>/<key>` and `X-Uhaha-Leader:
 * <leader>` (fetch and `curl -L` follow it, PUT bodies included); with no
 * leader known, `503` with `Retry-After: 1`.
 */
import type { Service, ServiceApi } from "../../mod.ts";
import { type HttpRequest, type HttpResponse, looksLikeHttp, serveHttp } from "./http1.ts";

const METHODS = ["GET", "PUT", "DELETE", "HEAD"] as const;
const encoder = new TextEncoder();

/** An error reply as an HTTP response. */
function errorResponse(error: Error, request: HttpRequest): HttpResponse {
  const message = error.message;
  if (/^NOAUTH\b/.test(message)) return unauthorized("authentication required: send Authorization: Bearer <password>");
  const redirect = /^(?:MOVED \d+|TRY) (\S+)$/.exec(message);
  if (redirect) {
    const leader = redirect[1];
    return {
      status: 307,
      headers: { "Location": `http://${leader}${request.target}`, "X-Uhaha-Leader": leader },
      body: `${message}\n`,
    };
  }
  if (/^(CLUSTERDOWN|TRYAGAIN|LOADING)\b/.test(message) || /outcome unknown/i.test(message)) {
    return { status: 503, headers: { "Retry-After": "1" }, body: `${message}\n` };
  }
  return { status: 400, body: `${message}\n` };
}

function bodyOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return encoder.encode(String(value));
}

function unauthorized(why: string): HttpResponse {
  return { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="uhaha"' }, body: `${why}\n` };
}

/** Runs AUTH with the request's bearer token, if it has one; a response when that fails. */
async function authenticate(api: ServiceApi, request: HttpRequest): Promise<HttpResponse | undefined> {
  const authorization = request.headers.get("authorization");
  if (authorization === undefined) return undefined;
  const token = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
  if (token === undefined) return unauthorized("the Authorization header must be 'Bearer <password>'");
  const verdict = await api.send(["AUTH", token]);
  return verdict instanceof Error ? unauthorized(verdict.message) : undefined;
}

async function handle(api: ServiceApi, request: HttpRequest): Promise<HttpResponse> {
  const refused = await authenticate(api, request);
  if (refused) return refused;
  if (request.path === "/_status") {
    if (request.method !== "GET" && request.method !== "HEAD") return { status: 405, headers: { "Allow": "GET, HEAD" } };
    // As RAFT INFO: only for authenticated clients (PING answers NOAUTH otherwise).
    const ping = await api.send(["PING"]);
    if (ping instanceof Error) return errorResponse(ping, request);
    return { status: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify(api.status()) + "\n" };
  }
  const key = request.path.slice(1);
  if (key === "") return { status: 400, body: "missing key: use /<key>\n" };
  let reply: unknown;
  switch (request.method) {
    case "GET":
    case "HEAD":
      reply = await api.send(["GET", key]);
      if (reply instanceof Error) return errorResponse(reply, request);
      if (reply === null || reply === undefined) return { status: 404, body: "not found\n" };
      return { status: 200, headers: { "Content-Type": "application/octet-stream" }, body: bodyOf(reply) };
    case "PUT": {
      const ex = request.query.get("ex");
      reply = await api.send(ex === null ? ["SET", key, request.body] : ["SET", key, request.body, "EX", ex]);
      if (reply instanceof Error) return errorResponse(reply, request);
      return { status: 200, body: "OK\n" };
    }
    case "DELETE":
      reply = await api.send(["DEL", key]);
      if (reply instanceof Error) return errorResponse(reply, request);
      return typeof reply === "object" && reply !== null && "value" in reply && Number(reply.value) > 0
        ? { status: 200, body: "OK\n" }
        : { status: 404, body: "not found\n" };
    default:
      return { status: 405, headers: { "Allow": METHODS.join(", ") } };
  }
}

export const kvdbHttp: Service = {
  name: "http",
  sniff: (firstBytes) => looksLikeHttp(firstBytes, METHODS),
  serve: (socket, firstBytes, api) => serveHttp(socket, firstBytes, (request) => handle(api, request)),
};
