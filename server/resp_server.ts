/**
 * The node's listener: accepts TCP (or TLS) connections and gives each to a
 * ClientConnection. The seam where a runtime-specific fast path could go.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { HostPort } from "../api/host_port.ts";
import { ClientConnection, type ConnectionOptions, type Dispatch } from "./client_connection.ts";

export interface ListenOptions {
  /** Host "" means every interface. */
  readonly address: HostPort;
  /** TLS server options (certificate, key, client certificates asked for); when given, every connection is TLS. */
  readonly tls?: tls.TlsOptions;
}

/** What the server does with its connections, given once the node is wired (`serve`). */
export interface ServeOptions extends ConnectionOptions {
  readonly dispatch: Dispatch;
  /** True when no password is configured, so connections start authenticated. */
  readonly open: boolean;
  /**
   * Sees the first bytes of every connection before RESP does; returns true
   * when it takes the socket (a Raft peer, an HTTP service).
   */
  readonly sniff?: (socket: net.Socket, firstBytes: Uint8Array) => boolean;
  /** A new RESP client; returning false refuses it (the socket is closed). */
  readonly onOpen?: (conn: ClientConnection) => boolean;
  /** A RESP client's connection closed. */
  readonly onClose?: (conn: ClientConnection) => void;
  /**
   * Most RESP clients at once (0: no limit). Counted once a connection is
   * known to be RESP, so peers and services never count and are never refused.
   */
  readonly maxClients?: number;
  /**
   * Without `open`: a connection that has not sent a byte, or a RESP client
   * that has not authenticated, within this many ms is closed (0: never).
   */
  readonly authTimeoutMs?: number;
}

/** What a client beyond `maxClients` is told before it is closed (Redis's words). */
export const MAX_CLIENTS_REPLY = "-ERR max number of clients reached\r\n";

/**
 * Listening and serving are two steps: a node listens first (with port 0 the
 * advertised address needs the real port), then wires its commands and
 * serves. Connections accepted in between wait, unread, for `serve`.
 */
export class RespServer {
  readonly #server: net.Server;
  readonly #connections = new Set<ClientConnection>();
  /** Accepted sockets that have not sent their first bytes yet (nobody else would close them on stop). */
  readonly #unsniffed = new Set<net.Socket>();
  readonly #clientOf = new Map<net.Socket, ClientConnection>();
  /** Sockets accepted before `serve`. */
  #waiting: net.Socket[] | undefined = [];
  #options: ServeOptions | undefined;

  private constructor(server: net.Server) {
    this.#server = server;
  }

  /** Starts listening; rejects with the OS error (e.g. EADDRINUSE) if it cannot. */
  static listen(options: ListenOptions): Promise<RespServer> {
    const accept = (socket: net.Socket) => {
      if (server.#waiting) {
        socket.pause();
        server.#waiting.push(socket);
      } else {
        server.#accept(socket);
      }
    };
    // Half-open, so a client's end of input does not cut the replies to what it sent before.
    const raw = options.tls
      ? tls.createServer({ ...options.tls, allowHalfOpen: true }, accept)
      : net.createServer({ allowHalfOpen: true }, accept);
    const server = new RespServer(raw);
    return new Promise((resolve, reject) => {
      raw.once("error", reject);
      const host = options.address.host === "" ? undefined : options.address.host;
      raw.listen({ host, port: options.address.port }, () => {
        raw.off("error", reject);
        resolve(server);
      });
    });
  }

  /** Serves every connection, those that waited for this first. */
  serve(options: ServeOptions): void {
    this.#options = options;
    const waiting = this.#waiting ?? [];
    this.#waiting = undefined;
    for (const socket of waiting) {
      if (!socket.destroyed) this.#accept(socket);
    }
  }

  #accept(socket: net.Socket): void {
    const options = this.#options!;
    const sniff = options.sniff;
    this.#startAuthTimer(socket);
    if (!sniff) return this.#serveResp(socket);
    socket.on("error", () => {}); // until a handler takes the socket
    this.#unsniffed.add(socket);
    socket.once("close", () => this.#unsniffed.delete(socket));
    socket.once("data", (first: Uint8Array) => {
      this.#unsniffed.delete(socket);
      socket.pause();
      if (sniff(socket, first)) {
        // Peers and services expect the default: the socket ends when the other side does.
        socket.on("end", () => socket.end());
      } else {
        this.#serveResp(socket, first);
      }
    });
    socket.resume();
  }

  /**
   * Closes `socket` after `authTimeoutMs` if by then it is unclassified or
   * an unauthenticated RESP client. Peers prove themselves in their own
   * handshake (with its own timeout), services answer their own protocol.
   */
  #startAuthTimer(socket: net.Socket): void {
    const { open, authTimeoutMs = 0 } = this.#options!;
    if (open || authTimeoutMs <= 0) return;
    const timer = setTimeout(() => {
      if (this.#unsniffed.has(socket)) return socket.destroy();
      const conn = this.#clientOf.get(socket);
      if (conn && !conn.authenticated && !conn.closed) {
        this.#options!.onProblem?.(conn, `closed: not authenticated within ${authTimeoutMs} ms (--auth-timeout)`);
        conn.push(new Error(`ERR authentication timeout: no AUTH within ${authTimeoutMs / 1000} s; closing`));
        conn.finishAndClose();
      }
    }, authTimeoutMs);
    socket.once("close", () => clearTimeout(timer));
  }

  #serveResp(socket: net.Socket, firstBytes?: Uint8Array): void {
    const options = this.#options!;
    const maxClients = options.maxClients ?? 0;
    if (maxClients > 0 && this.#connections.size >= maxClients) return this.#refuseClient(socket);
    const conn = new ClientConnection(socket, options.dispatch, options);
    conn.authenticated = options.open;
    if (options.onOpen && !options.onOpen(conn)) return conn.destroy();
    this.#connections.add(conn);
    this.#clientOf.set(socket, conn);
    socket.on("close", () => {
      this.#connections.delete(conn);
      this.#clientOf.delete(socket);
      options.onClose?.(conn);
    });
    if (firstBytes) conn.feed(firstBytes);
    else socket.resume();
  }

  /** Tells a client beyond `maxClients` so, then closes it; what it sent is dropped unread. */
  #refuseClient(socket: net.Socket): void {
    socket.on("error", () => {});
    // Read and drop what it sends: closing with unread input would reset the
    // connection, and the client might lose the refusal.
    socket.on("data", () => {});
    socket.once("end", () => socket.destroy());
    socket.end(MAX_CLIENTS_REPLY);
    socket.resume();
    // A client that neither reads the refusal nor closes must not hold the socket either.
    const timer = setTimeout(() => socket.destroy(), 1_000);
    socket.once("close", () => clearTimeout(timer));
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Stops accepting; each client stops being read and is closed once the
   * commands it sent have run and their replies are sent. Clients still open after `graceMs` are cut.
   * Resolves when every connection and the listener are closed.
   */
  async close(graceMs = 0): Promise<void> {
    const listenerClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of [...this.#unsniffed, ...this.#waiting ?? []]) socket.destroy();
    for (const conn of this.#connections) conn.finishAndClose();
    const deadline = Date.now() + graceMs;
    while (this.#connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const conn of this.#connections) conn.destroy();
    await listenerClosed;
  }
}
