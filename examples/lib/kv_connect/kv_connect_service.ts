/**
 * KV Connect (denokv's proto/kv-connect.md) on the node's own port, so that
 * `Deno.openKv("http://<node>")` and `@deno/kv`'s `openKv(url)` use the
 * cluster as a Deno KV:
 *
 *   POST /                         metadata exchange (JSON): protocol version,
 *                                  database id, the leader's data-path URL
 *   POST /kv_connect/snapshot_read SnapshotRead → SnapshotReadOutput
 *   POST /kv_connect/atomic_write  AtomicWrite → AtomicWriteOutput
 *   POST /kv_connect/watch         Watch → a stream of WatchOutput frames
 *
 * The access token is the node's --auth secret (any token when it has
 * none), checked by AUTH on this connection (constant time, slowed after
 * repeated failures). Strong reads and writes are the leader's: the
 * metadata names the leader's URL, and the metadata expires soon
 * (METADATA_TTL_MS), so clients fetch it again and follow a new leader. On
 * a follower a data-path request is answered 503 (the protocol's "retry"):
 * Deno's client retries it and meanwhile refreshes its metadata. A write
 * whose outcome is unknown (leadership lost mid-flight) is AW_UNSPECIFIED,
 * which the protocol says must not be retried — never a false "failed".
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Service, ServiceApi } from "../../../mod.ts";
import { looksLikeH2c, serveH2c } from "../h2c.ts";
import { type HttpRequest, type HttpResponse, looksLikeHttp, serveHttp } from "../http1.ts";
import { versionstampBytes } from "./kv_connect_commands.ts";
import { AtomicWriteStatus, decodeAtomicWrite, decodeSnapshotRead, decodeWatch, encodeAtomicWriteOutput, encodeWatchOutput, SnapshotReadStatus, type WatchKeyOutput } from "./messages.ts";
import { ProtobufError } from "./protobuf.ts";

/** The protocol versions served: 1 and 2 (reads, writes) and 3 (watch). */
export const PROTOCOL_VERSIONS = [1, 2, 3] as const;
/** The data path, under the node's URL. */
export const DATA_PATH = "/kv_connect";
/**
 * How long a metadata answer holds. Short, because it names the leader:
 * Deno's client refreshes 10 s before expiry, @deno/kv before each call
 * when under 5 minutes remain; so both follow a new leader within seconds.
 */
export const METADATA_TTL_MS = 15_000;
/** How often a watch looks at its keys again. */
export const WATCH_POLL_MS = 100;
/** An empty frame this often keeps an idle watch stream's connection known to be alive. */
const WATCH_PING_MS = 5_000;

/** One database per cluster: the id is fixed, so every node answers the same. */
export const DATABASE_ID = (() => {
  const hex = createHash("sha256").update("uhaha kv connect database").digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
})();

const PROTOBUF = { "Content-Type": "application/x-protobuf" };

function text(status: number, message: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, body: `${message}\n` };
}

function unauthorized(message: string): HttpResponse {
  return text(401, message, { "WWW-Authenticate": 'Bearer realm="uhaha"' });
}

/** An error reply of a command as the data path answers it. */
function errorResponse(error: Error): HttpResponse {
  const message = error.message;
  if (/^NOAUTH\b/.test(message)) return unauthorized(message);
  if (/^(MOVED|TRY|CLUSTERDOWN|TRYAGAIN|LOADING)\b/.test(message) || /not applied|no leader/i.test(message)) {
    return text(503, message, { "Retry-After": "1" });
  }
  return text(400, message);
}

/** Per connection: the token AUTH accepted, so later requests on it need no AUTH round. */
class Session {
  #accepted: Uint8Array | undefined;
  readonly #api: ServiceApi;

  constructor(api: ServiceApi) {
    this.#api = api;
  }

  /** undefined when `request` carries a good token, else the 401 to answer. */
  async authenticate(request: HttpRequest): Promise<HttpResponse | undefined> {
    const token = /^Bearer +(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    if (token === undefined) return unauthorized("missing access token: send Authorization: Bearer <token> (DENO_KV_ACCESS_TOKEN)");
    const digest = createHash("sha256").update(token).digest();
    if (this.#accepted && timingSafeEqual(digest, this.#accepted)) return undefined;
    const verdict = await this.#api.send(["AUTH", token]);
    // A node without --auth takes any token (AUTH says no password is configured).
    if (verdict instanceof Error && !/without any password configured/i.test(verdict.message)) {
      return unauthorized(`invalid access token: ${verdict.message}`);
    }
    this.#accepted = digest;
    return undefined;
  }
}

function chooseVersion(body: Uint8Array): number | HttpResponse {
  if (body.length === 0) return 1;
  let offered: unknown;
  try {
    offered = JSON.parse(new TextDecoder().decode(body))?.supportedVersions;
  } catch {
    return text(400, "the metadata request body is not JSON: send {\"supportedVersions\": [1, 2, 3]}");
  }
  if (!Array.isArray(offered) || !offered.every((v) => Number.isInteger(v))) {
    return text(400, "supportedVersions must be an array of integers");
  }
  const common = PROTOCOL_VERSIONS.filter((v) => offered.includes(v));
  if (common.length === 0) {
    return text(400, `no protocol version in common: this server speaks ${PROTOCOL_VERSIONS.join(", ")}; the client offered ${JSON.stringify(offered)}`);
  }
  return Math.max(...common);
}

async function metadata(api: ServiceApi, request: HttpRequest, scheme: string): Promise<HttpResponse> {
  const version = chooseVersion(request.body);
  if (typeof version !== "number") return version;
  const leader = await api.send(["RAFT", "LEADER"]);
  if (leader instanceof Error) return errorResponse(leader);
  if (typeof leader !== "string" || leader === "") return text(503, "no leader elected yet: retry", { "Retry-After": "1" });
  const token = /^Bearer +(\S+)/i.exec(request.headers.get("authorization") ?? "")![1];
  return {
    status: 200,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      version,
      databaseId: DATABASE_ID,
      endpoints: [{ url: `${scheme}://${leader}${DATA_PATH}`, consistency: "strong" }],
      token,
      expiresAt: new Date(Date.now() + METADATA_TTL_MS).toISOString(),
    }),
  };
}

/** undefined when a data-path request names a version and database this server serves, else the 400 to answer. */
function checkDataPathHeaders(request: HttpRequest): HttpResponse | undefined {
  const version = request.headers.get("x-denokv-version");
  if (version !== undefined && !PROTOCOL_VERSIONS.some((v) => String(v) === version)) {
    return text(400, `unsupported KV Connect protocol version ${version}: this server speaks ${PROTOCOL_VERSIONS.join(", ")}`);
  }
  const database = request.headers.get("x-denokv-database-id") ?? request.headers.get("x-transaction-domain-id");
  if (database !== undefined && database !== DATABASE_ID) return text(400, `unknown database ${database}: fetch the metadata again`);
  return undefined;
}

function malformed(what: string, error: unknown): HttpResponse | undefined {
  if (error instanceof ProtobufError) return text(400, `malformed ${what}: ${error.message}`);
  return undefined;
}

async function snapshotRead(api: ServiceApi, request: HttpRequest): Promise<HttpResponse> {
  try {
    decodeSnapshotRead(request.body);
  } catch (error) {
    return malformed("SnapshotRead", error) ?? text(400, String(error));
  }
  const reply = await api.send(["KV.CONNECT.READ", request.body]);
  if (reply instanceof Error) return errorResponse(reply);
  return { status: 200, headers: PROTOBUF, body: reply as Uint8Array };
}

async function atomicWrite(api: ServiceApi, request: HttpRequest): Promise<HttpResponse> {
  try {
    const write = decodeAtomicWrite(request.body);
    if (write.enqueues > 0) return text(400, "enqueue is not supported by this server (KV Connect queues are not served)");
  } catch (error) {
    return malformed("AtomicWrite", error) ?? text(400, String(error));
  }
  const reply = await api.send(["KV.CONNECT.WRITE", request.body]);
  if (reply instanceof Error) {
    if (/outcome unknown/i.test(reply.message)) return { status: 200, headers: PROTOBUF, body: encodeAtomicWriteOutput(AtomicWriteStatus.UNSPECIFIED) };
    return errorResponse(reply);
  }
  const body = typeof reply === "string"
    ? encodeAtomicWriteOutput(AtomicWriteStatus.SUCCESS, versionstampBytes(reply))
    : encodeAtomicWriteOutput(AtomicWriteStatus.CHECK_FAILURE);
  return { status: 200, headers: PROTOBUF, body };
}

/** A frame of the watch stream: 4-byte little-endian length, then the message (empty: a ping). */
function frame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + message.length);
  new DataView(out.buffer).setUint32(0, message.length, true);
  out.set(message, 4);
  return out;
}

function watch(api: ServiceApi, request: HttpRequest): HttpResponse {
  let keys: Uint8Array[];
  try {
    keys = decodeWatch(request.body);
  } catch (error) {
    return malformed("Watch", error) ?? text(400, String(error));
  }
  if (keys.length === 0 || keys.length > 10) return text(400, `a watch takes 1 to 10 keys, got ${keys.length}`);
  return {
    status: 200,
    headers: { "Content-Type": "application/octet-stream" },
    stream: async (send, closed) => {
      let last: string[] | undefined;
      let lastSent = Date.now();
      while (!closed()) {
        const reply = await api.send(["KV.CONNECT.WATCH", request.body]);
        // Not the leader any more (or no leader): end the stream; the client reconnects where its metadata says.
        if (reply instanceof Error || !Array.isArray(reply)) return;
        const now = reply as [string, Uint8Array | string][];
        if (!last || now.some(([versionstamp], i) => versionstamp !== last![i])) {
          const outputs: WatchKeyOutput[] = now.map(([versionstamp, entry], i) => {
            if (last && versionstamp === last[i]) return { changed: false };
            return versionstamp === "" ? { changed: true } : { changed: true, entry: entry as Uint8Array };
          });
          send(frame(encodeWatchOutput(SnapshotReadStatus.SUCCESS, outputs)));
          last = now.map(([versionstamp]) => versionstamp);
          lastSent = Date.now();
        } else if (Date.now() - lastSent >= WATCH_PING_MS) {
          send(frame(new Uint8Array(0)));
          lastSent = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, WATCH_POLL_MS));
      }
    },
  };
}

async function handle(api: ServiceApi, session: Session, request: HttpRequest, scheme: string): Promise<HttpResponse> {
  if (request.method !== "POST") return { status: 405, headers: { "Allow": "POST" } };
  const refused = await session.authenticate(request);
  if (refused) return refused;
  if (!request.path.startsWith(`${DATA_PATH}/`)) return await metadata(api, request, scheme);
  const bad = checkDataPathHeaders(request);
  if (bad) return bad;
  // Checked here, not left to the commands: with --openreads a follower would answer a read from its own,
  // possibly stale, state, which this protocol's strong endpoint must not do.
  if (api.status().state !== "Leader") {
    return text(503, "this node is not the leader: refresh the metadata and retry", { "Retry-After": "1" });
  }
  switch (request.path.slice(DATA_PATH.length + 1)) {
    case "snapshot_read":
      return await snapshotRead(api, request);
    case "atomic_write":
      return await atomicWrite(api, request);
    case "watch":
      return watch(api, request);
  }
  return text(404, `no such KV Connect call: ${request.path}`);
}

/**
 * The service: HTTP/2 with prior knowledge (Deno's client) and HTTP/1.1
 * POSTs (@deno/kv on Node's fetch); the node's own /metrics, /status and /
 * are HTTP/1.1 GETs.
 */
export const kvConnectService: Service = {
  name: "kv-connect",
  sniff: (firstBytes) => looksLikeH2c(firstBytes) || looksLikeHttp(firstBytes, ["POST"]),
  serve: (socket, firstBytes, api) => {
    const session = new Session(api);
    const scheme = (socket as { encrypted?: boolean }).encrypted ? "https" : "http";
    const handler = (request: HttpRequest) => handle(api, session, request, scheme);
    if (looksLikeH2c(firstBytes)) serveH2c(socket, firstBytes, handler);
    else serveHttp(socket, firstBytes, handler);
  },
};
