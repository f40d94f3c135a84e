/**
 * Options of the peer transport, with their defaults and units, and one
 * `resolveTransportOptions` that fills the defaults and checks the values.
 */
import type { Message, SnapshotMessage } from "../core/types.ts";
import type { Logger } from "../logger.ts";
import type { PeerTls } from "./peer_tls.ts";
import { DEFAULT_MAX_FRAME_BYTES } from "./frames.ts";

/**
 * Slows guessing of the cluster secret per source address: how long to
 * wait before checking a proof, and the outcome (server/auth_throttle.ts's
 * AuthThrottle is one; the node shares it with AUTH).
 */
export interface AuthGuard {
  /** How long to wait, in ms, before checking a proof from `host`. */
  admit(host: string, nowMs: number): number;
  failed(host: string, nowMs: number): { readonly failures: number; readonly nextDelayMs: number; readonly report: boolean };
  succeeded(host: string): void;
}

/** Options of `new PeerTransport(…)`. */
export interface PeerTransportOptions {
  /** This node's id (a positive integer). */
  readonly selfId: number;
  /** This node's advertise address ("host:port"), sent in the handshake. */
  readonly selfAddress: string;
  /** The cluster secret (`--auth`). Peers must share it; it is never sent. */
  readonly secret?: string;
  /** Slows wrong handshake proofs per source address (the node's AUTH throttle); none: no delay. */
  readonly guard?: AuthGuard;
  /** Peers speak TLS, verified both ways against `tls.ca` (see peer_tls.ts); plain TCP without it. */
  readonly tls?: PeerTls;
  /** Where the transport logs (the driver's Logger; the node's logger fits). */
  readonly log: Logger;
  /** Called for each message received from a peer, in order per peer. Must not throw. */
  readonly onMessage: (message: Message) => void;
  /**
   * Called when a peer starts streaming a snapshot. Read `data` to the end,
   * install, then resolve; reject (or stop reading) to refuse it. The sender
   * learns the outcome.
   */
  readonly onSnapshot: (message: SnapshotMessage, data: AsyncIterable<Uint8Array>) => Promise<void>;
  /**
   * Asked once a peer has authenticated: a reason to refuse its connection
   * (sent to it, and logged on both sides), or undefined to accept it.
   */
  readonly admit?: (peerId: number, peerAddress: string) => string | undefined;
  /** Called when a peer refused a connection this node dialed, with its reason. */
  readonly onRefused?: (peerId: number, reason: string) => void;
  /** Most messages waiting per peer; more are dropped (and counted). Default 4096. */
  readonly maxQueuedMessages?: number;
  /** Largest frame (type + payload) sent or accepted, in bytes. Default 64 MiB. */
  readonly maxFrameBytes?: number;
  /** Limit for connect + handshake, in ms. Default 5000. */
  readonly handshakeTimeoutMs?: number;
  /** First reconnect delay, in ms (doubles per failure, with jitter). Default 25. */
  readonly reconnectBaseMs?: number;
  /** Longest reconnect delay, in ms. Default 1000. */
  readonly reconnectMaxMs?: number;
  /** A connection whose peer has not read for this long is dropped and redialed, in ms. Default 10000. */
  readonly writeStallMs?: number;
  /** Bytes per snapshot chunk frame. Default 1 MiB. */
  readonly snapshotChunkBytes?: number;
  /** How long a snapshot sender waits for the receiver's verdict after the last byte, in ms. Default 120000. */
  readonly snapshotResultTimeoutMs?: number;
  /** Snapshot bytes buffered for a slow installer before the socket is paused. Default 8 MiB. */
  readonly snapshotHighWaterBytes?: number;
}

/** Options with every default filled in. */
/** The options that stay optional once resolved (no default). */
type Unset = "secret" | "tls" | "guard" | "admit" | "onRefused";

export type ResolvedTransportOptions =
  & Omit<PeerTransportOptions, Unset>
  & Required<Omit<PeerTransportOptions, Unset>>
  & Pick<PeerTransportOptions, "admit" | "onRefused">
  & { readonly secret: string | undefined; readonly tls: PeerTls | undefined; readonly guard: AuthGuard | undefined };

const DEFAULTS = {
  maxQueuedMessages: 4096,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  handshakeTimeoutMs: 5000,
  reconnectBaseMs: 25,
  reconnectMaxMs: 1000,
  writeStallMs: 10_000,
  snapshotChunkBytes: 1 << 20,
  snapshotResultTimeoutMs: 120_000,
  snapshotHighWaterBytes: 8 << 20,
};

/**
 * Fills defaults and validates.
 * @throws RangeError naming the first bad option and why
 */
export function resolveTransportOptions(o: PeerTransportOptions): ResolvedTransportOptions {
  const r: ResolvedTransportOptions = {
    ...DEFAULTS,
    ...stripUndefined(o),
    secret: o.secret || undefined,
    tls: o.tls,
    guard: o.guard,
  };
  const positive = (name: keyof typeof DEFAULTS | "selfId") => {
    const value = r[name];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Invalid transport option ${name}=${value}: must be a positive integer`);
    }
  };
  positive("selfId");
  for (const name of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) positive(name);
  if (r.snapshotChunkBytes + 1 > r.maxFrameBytes) {
    throw new RangeError(
      `Invalid transport option snapshotChunkBytes=${r.snapshotChunkBytes}: must be below maxFrameBytes=${r.maxFrameBytes}`,
    );
  }
  if (r.reconnectBaseMs > r.reconnectMaxMs) {
    throw new RangeError(
      `Invalid transport option reconnectBaseMs=${r.reconnectBaseMs}: must not exceed reconnectMaxMs=${r.reconnectMaxMs}`,
    );
  }
  return r;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
