/**
 * The dialing side of a peer connection: connect (TCP or TLS), send the
 * preamble and HELLO, check the acceptor's CHALLENGE, answer with PROOF and
 * check the acceptor's proof in ACCEPT. See handshake.ts for the exchange.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { type HostPort, parseHostPort } from "../../api/host_port.ts";
import { FrameSocket } from "./frame_socket.ts";
import { FrameType } from "./frames.ts";
import { dialTlsOptions, type PeerTls } from "./peer_tls.ts";
import {
  computeProof,
  decodeChallenge,
  decodeProof,
  decodeReason,
  encodeHello,
  encodePreamble,
  type HandshakeTranscript,
  MAX_HANDSHAKE_FRAME_BYTES,
  newNonce,
  proofMatches,
  type Purpose,
} from "./handshake.ts";

/**
 * Parses "host:port" ("[::1]:port" for IPv6).
 * @returns the parts, or an error message
 */
export function parseAddress(address: string): HostPort | string {
  const parsed = parseHostPort(address);
  if (typeof parsed === "string") return `Cannot parse peer address: ${parsed}`;
  return parsed.host === "" ? `Cannot parse peer address '${address}': a peer needs a host` : parsed;
}

export interface DialOptions {
  readonly address: string;
  /** Verified TLS (see peer_tls.ts); plain TCP when undefined. */
  readonly tls: PeerTls | undefined;
  readonly selfId: number;
  readonly selfAddress: string;
  /** The node we mean to reach. */
  readonly targetId: number;
  readonly purpose: Purpose;
  readonly secret: string | undefined;
  /** Limit for connect + handshake. */
  readonly timeoutMs: number;
  /** Largest frame accepted once connected. */
  readonly maxFrameBytes: number;
  /** Aborts the dial (the transport closed, or the address changed). */
  readonly signal?: AbortSignal;
}

/** Outcome of a dial. `refused` is true when the peer (or we) refused the handshake. */
export type DialResult =
  | { readonly ok: true; readonly conn: FrameSocket }
  | { readonly ok: false; readonly error: string; readonly refused: boolean };

/** Connects and handshakes; never rejects. */
export function dial(o: DialOptions): Promise<DialResult> {
  const target = parseAddress(o.address);
  if (typeof target === "string") return Promise.resolve({ ok: false, error: target, refused: false });
  if (o.signal?.aborted) return Promise.resolve({ ok: false, error: "aborted", refused: false });
  const socket = o.tls
    ? tls.connect(dialTlsOptions(o.tls, target.host, target.port))
    : net.connect({ host: target.host, port: target.port });
  const conn = new FrameSocket(socket, { maxFrameBytes: MAX_HANDSHAKE_FRAME_BYTES });
  const dialerNonce = newNonce();
  let stage: "challenge" | "accept" = "challenge";
  let transcript: HandshakeTranscript | undefined;

  return new Promise<DialResult>((resolve) => {
    let settled = false;
    const settle = (result: DialResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      if (!result.ok) conn.destroy(result.error);
      resolve(result);
    };
    const fail = (error: string, refused = false) => settle({ ok: false, error, refused });
    const refuse = (reason: string) => {
      conn.refuse(reason);
      fail(reason, true);
    };
    const onAbort = () => fail("aborted");
    o.signal?.addEventListener("abort", onAbort);
    const timer = setTimeout(() => fail(`no handshake within ${o.timeoutMs} ms`), o.timeoutMs);

    conn.onClose = (reason) => fail(reason);
    conn.onFrame = (frame) => {
      if (frame.type === FrameType.Refuse) return fail(`refused by the peer: ${decodeReason(frame.payload)}`, true);
      if (stage === "challenge" && frame.type === FrameType.Challenge) {
        const challenge = decodeChallenge(frame.payload);
        if (!challenge.ok) return refuse(challenge.error);
        const acceptorId = challenge.value.acceptorId;
        if (acceptorId === o.selfId) {
          return refuse(`${o.address} answers as node ${acceptorId}, this node's own id: two nodes share one id`);
        }
        if (acceptorId !== o.targetId) {
          return refuse(`${o.address} is node ${acceptorId}, not node ${o.targetId}`);
        }
        transcript = {
          dialerId: o.selfId,
          acceptorId,
          dialerNonce,
          acceptorNonce: challenge.value.nonce,
        };
        stage = "accept";
        conn.send(FrameType.Proof, computeProof(o.secret, "dialer", transcript));
        return;
      }
      if (stage === "accept" && frame.type === FrameType.Accept && transcript) {
        const proof = decodeProof(frame.payload, "ACCEPT");
        if (!proof.ok) return refuse(proof.error);
        if (!proofMatches(proof.value, computeProof(o.secret, "acceptor", transcript))) {
          return refuse(`node ${transcript.acceptorId} at ${o.address} does not share this node's cluster secret (--auth)`);
        }
        conn.maxFrameBytes = o.maxFrameBytes;
        conn.onFrame = () => {};
        conn.onClose = () => {};
        return settle({ ok: true, conn });
      }
      refuse(`unexpected frame type ${frame.type} during the handshake`);
    };
    conn.start();
    const hello = encodeHello({
      purpose: o.purpose,
      senderId: o.selfId,
      targetId: o.targetId,
      senderAddress: o.selfAddress,
      nonce: dialerNonce,
    });
    const preamble = encodePreamble();
    const first = new Uint8Array(preamble.byteLength + 5 + hello.byteLength);
    first.set(preamble);
    new DataView(first.buffer).setUint32(preamble.byteLength, 1 + hello.byteLength, false);
    first[preamble.byteLength + 4] = FrameType.Hello;
    first.set(hello, preamble.byteLength + 5);
    conn.write(first);
  });
}
