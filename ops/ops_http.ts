/**
 * The node's own HTTP endpoints, on its port beside RESP and the peers:
 *
 *   GET /metrics   Prometheus text format
 *   GET /status    JSON (node_status.ts)
 *   GET /          the live status page (status_page.ts), which polls /status
 *
 * A connection is this service's when its first bytes are a whole
 * `GET|HEAD <one of those paths> HTTP/1.x` request line; any other first
 * request goes to the app's services (kvdb's HTTP), then to RESP, as
 * before. Each answer closes its connection, so every request is routed
 * afresh by its own first line. With --auth, /metrics and /status need
 * `Authorization: Bearer <secret>`; the page itself holds no data and is
 * served to anyone (it asks for the token, or reads it from the URL's
 * fragment, which the browser never sends).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Service, ServiceConnection } from "../api/app.ts";
import { STATUS_PAGE_HTML } from "./status_page.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./prometheus_text.ts";
import { collectStatus, metricFamilies, type StatusSources } from "./node_status.ts";

export const OPS_PATHS: readonly string[] = ["/", "/metrics", "/status"];

const REQUEST_LINE = /^(GET|HEAD) (\/[^ ?#]*)(?:\?[^ ]*)? HTTP\/1\.[01]\r?\n/;
const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_TIMEOUT_MS = 10_000;
const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

/** The request's method and path when `firstBytes` open a request for one of OPS_PATHS. */
export function opsRequestLine(firstBytes: Uint8Array): { method: string; path: string } | undefined {
  const match = REQUEST_LINE.exec(latin1.decode(firstBytes.subarray(0, 512)));
  if (!match || !OPS_PATHS.includes(match[2])) return undefined;
  return { method: match[1], path: match[2] };
}

/** Whether `header` (an Authorization value) carries `secret` as a bearer token; constant time in the token. */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  const token = /^Bearer +(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (token === undefined) return false;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(token), digest(secret));
}

/** The service; `secret` is the --auth secret (undefined: everyone is served). */
export function opsHttpService(secret: string | undefined, sources: StatusSources): Service {
  return {
    name: "status",
    sniff: (firstBytes) => opsRequestLine(firstBytes) !== undefined,
    serve: (connection, firstBytes) => {
      let head = latin1.decode(firstBytes);
      // One request per connection: whatever arrives after its head is ignored.
      let answered = false;
      const once = (run: () => void) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        run();
      };
      const timer = setTimeout(() => once(() => respond(connection, 408, "text/plain", "request head not received in time\n", false)), HEAD_TIMEOUT_MS);
      const onHead = () => {
        const end = head.indexOf("\r\n\r\n");
        if (end !== -1) once(() => void answer(secret, sources, connection, head.slice(0, end)));
        else if (head.length > MAX_HEAD_BYTES) once(() => respond(connection, 431, "text/plain", "request head too large\n", false));
      };
      connection.on("data", (chunk) => {
        if (answered) return;
        head += latin1.decode(chunk);
        onHead();
      });
      connection.on("close", () => clearTimeout(timer));
      connection.on("error", () => {});
      onHead();
    },
  };
}

async function answer(secret: string | undefined, sources: StatusSources, connection: ServiceConnection, head: string): Promise<void> {
  const { method, path } = opsRequestLine(encoder.encode(head + "\r\n"))!;
  const withBody = method === "GET";
  if (path === "/") return respond(connection, 200, "text/html; charset=utf-8", STATUS_PAGE_HTML, withBody);
  if (secret !== undefined) {
    const authorization = /^authorization:[ \t]*(.*)$/im.exec(head)?.[1]?.trim();
    if (!bearerMatches(authorization, secret)) {
      return respond(connection, 401, "text/plain", "authentication required: Authorization: Bearer <the --auth secret>\n", withBody, {
        "WWW-Authenticate": 'Bearer realm="uhaha"',
      });
    }
  }
  try {
    const report = await collectStatus(sources);
    if (path === "/status") return respond(connection, 200, "application/json", JSON.stringify(report) + "\n", withBody);
    return respond(connection, 200, PROMETHEUS_CONTENT_TYPE, renderPrometheus(metricFamilies(report, sources.metrics)), withBody);
  } catch (error) {
    return respond(connection, 500, "text/plain", `cannot collect the status: ${(error as Error).message}\n`, withBody);
  }
}

const REASONS: Record<number, string> = { 200: "OK", 401: "Unauthorized", 408: "Request Timeout", 431: "Request Header Fields Too Large", 500: "Internal Server Error" };

function respond(
  connection: ServiceConnection,
  status: number,
  type: string,
  body: string,
  withBody: boolean,
  headers: Record<string, string> = {},
): void {
  const bytes = encoder.encode(body);
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status]}`,
    `Content-Type: ${type}`,
    `Content-Length: ${bytes.length}`,
    "Cache-Control: no-store",
    "Connection: close",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  connection.write(encoder.encode(lines.join("\r\n") + "\r\n\r\n"));
  if (withBody) connection.write(bytes);
  connection.end();
}
