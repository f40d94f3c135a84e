/**
 * Test harness for the peer transport: a node is a PeerTransport behind a
 * tiny listener that sniffs `isPeerPrefix` and hands peers over, as the real
 * server does. Everything binds to 127.0.0.1.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { isPeerPrefix } from "../../raft/transport/handshake.ts";
import { PeerTransport } from "../../raft/transport/peer_transport.ts";
import type { PeerTransportOptions } from "../../raft/transport/transport_options.ts";
import { type PeerTls, serverTlsOptions } from "../../raft/transport/peer_tls.ts";
import type { Message, SnapshotMessage } from "../../raft/core/types.ts";

/** A logger that keeps lines (and prints them when UHAHA_TEST_LOG is set). */
export function memoryLog(name: string) {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
    if (process.env.UHAHA_TEST_LOG) console.error(`${performance.now().toFixed(0)} [${name}] ${level} ${message}`);
  };
  return { lines, debug: at("debug"), verb: at("verb"), info: at("info"), warn: at("warn") };
}

export interface TestNodeOptions {
  readonly secret?: string;
  /** PEM cert, key and trust anchors: serve and dial over mutually verified TLS. */
  readonly tls?: PeerTls;
  /** Listen on this port (default: any free one). */
  readonly port?: number;
  readonly onSnapshot?: PeerTransportOptions["onSnapshot"];
  readonly transport?: Partial<PeerTransportOptions>;
}

export interface TestNode {
  readonly id: number;
  readonly port: number;
  readonly address: string;
  readonly transport: PeerTransport;
  readonly received: Message[];
  readonly log: ReturnType<typeof memoryLog>;
  /** Sockets the listener accepted that were not peers. */
  readonly notPeers: number[];
  /** Stops the listener and the transport and destroys every accepted socket. */
  close(): Promise<void>;
}

/** Starts a node listening on 127.0.0.1 (port 0 unless given). */
export async function startNode(id: number, options: TestNodeOptions = {}): Promise<TestNode> {
  const log = memoryLog(`node ${id}`);
  const received: Message[] = [];
  const sockets = new Set<net.Socket>();
  const notPeers: number[] = [];
  // The listener starts first (the transport needs its port), so it reaches the transport through this.
  const ref: { transport?: PeerTransport } = {};
  const accept = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.once("data", (chunk: Uint8Array) => {
      if (isPeerPrefix(chunk) && ref.transport) ref.transport.acceptIncoming(socket, chunk);
      else {
        notPeers.push(chunk[0]);
        socket.destroy();
      }
    });
  };
  const server = options.tls
    ? tls.createServer(serverTlsOptions(options.tls), accept)
    : net.createServer(accept);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const address = `127.0.0.1:${port}`;
  const transport = new PeerTransport({
    selfId: id,
    selfAddress: address,
    secret: options.secret,
    tls: options.tls,
    log,
    onMessage: (m) => received.push(m),
    onSnapshot: options.onSnapshot ?? (async (_m: SnapshotMessage, data: AsyncIterable<Uint8Array>) => {
      for await (const _ of data) { /* discard */ }
    }),
    ...options.transport,
  });
  ref.transport = transport;
  const node: TestNode = {
    id,
    port,
    address,
    transport,
    received,
    log,
    notPeers,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await transport.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
  return node;
}

/** Tells every node the addresses of all the others. */
export function connectAll(nodes: readonly TestNode[]): void {
  const book = new Map(nodes.map((n) => [n.id, n.address]));
  for (const node of nodes) node.transport.setPeers(book);
}

/** A heartbeat whose `commit` numbers it, to check order. */
export function numbered(from: number, to: number, n: number): Message {
  return { type: "heartbeat", from, to, term: 1, commit: n, context: 0 };
}

/** The `commit` numbers received from `from`, in order. */
export function sequenceFrom(node: TestNode, from: number): number[] {
  return node.received.filter((m) => m.from === from && m.type === "heartbeat").map((m) => (m as { commit: number }).commit);
}

/** Sends a timeoutNow between every pair and waits until each arrived, so links are open. */
export async function warmUp(nodes: readonly TestNode[], waitFor: (what: string, check: () => boolean) => Promise<unknown>): Promise<void> {
  for (const from of nodes) {
    from.transport.send(nodes.filter((n) => n !== from).map((to) => ({ type: "timeoutNow" as const, from: from.id, to: to.id, term: 0 })));
  }
  for (const to of nodes) {
    for (const from of nodes) {
      if (from === to) continue;
      await waitFor(`node ${to.id} to hear from node ${from.id}`, () =>
        to.received.some((m) => m.type === "timeoutNow" && m.from === from.id && m.term === 0));
    }
  }
}
