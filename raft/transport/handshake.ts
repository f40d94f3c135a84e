/**
 * The peer handshake: preamble, frame payloads, and the authentication
 * proofs. Pure apart from hashing (node:crypto) and nonces (Web Crypto).
 *
 * A peer connection starts with the 12-byte preamble `PEER_MAGIC` + protocol
 * version. Its first byte, 0x00, never starts a RESP request (`*` or an
 * inline command) nor an HTTP request (a method name), so the listener can
 * classify a connection from its first byte. Then, in frames:
 *
 *   dialer   → acceptor  HELLO      purpose u8 | senderId | targetId (0 = any)
 *                                    | senderAddress string | clientNonce (32)
 *   acceptor → dialer    CHALLENGE  acceptorId | serverNonce (32)
 *   dialer   → acceptor  PROOF      clientProof (32)
 *   acceptor → dialer    ACCEPT     serverProof (32) — or REFUSE reason (UTF-8)
 *
 * Proofs are HMAC-SHA256 keyed with the cluster secret (`--auth`; the empty
 * key when there is none) over a role label, both nonces and both ids, so the
 * secret never crosses the wire, a proof cannot be replayed on another
 * connection, and each side learns whether the other knows the same secret.
 * A node with a secret and one without refuse each other.
 *
 * The dialer proves first. An acceptor answers anyone who connects, so if it
 * sent its proof first, anyone could take one home and test passwords
 * against it offline, as fast as they can hash. The acceptor's proof goes
 * only to a dialer that has proven it knows the secret; wrong proofs are
 * answered later and later per address (the node's AUTH throttle), like
 * wrong passwords from a client. (Version 1 sent the acceptor's proof in
 * CHALLENGE.)
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { ByteWriter, copyBytes, type Decoded, decodeWith, WireFormatError } from "./byte_io.ts";

/** The first bytes of every peer connection: `\x00UHAHA-RAFT`. */
export const PEER_MAGIC: Uint8Array = new Uint8Array([0x00, ...new TextEncoder().encode("UHAHA-RAFT")]);

/** Version of the peer protocol (handshake + framing + codec), sent after the magic. */
export const PEER_PROTOCOL_VERSION = 2;

/** Bytes of magic + version. */
export const PEER_PREAMBLE_BYTES = PEER_MAGIC.byteLength + 1;

/** Bytes of a nonce and of a proof. */
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;

/** Largest handshake frame accepted before the peer is authenticated. */
export const MAX_HANDSHAKE_FRAME_BYTES = 4096;

/**
 * True when `bytes` (the first bytes read from an accepted socket) can be the
 * start of a peer connection: at least one byte, and every byte given (up to
 * the magic's length) equal to `PEER_MAGIC`. The first byte alone decides
 * between a peer and a RESP/HTTP client, since those never send 0x00 first.
 * @example
 * ```ts
 * isPeerPrefix(new Uint8Array([0])); // true
 * isPeerPrefix(new TextEncoder().encode("*1\r\n$4\r\nPING\r\n")); // false
 * ```
 */
export function isPeerPrefix(bytes: Uint8Array): boolean {
  if (bytes.byteLength === 0) return false;
  const n = Math.min(bytes.byteLength, PEER_MAGIC.byteLength);
  for (let i = 0; i < n; i++) if (bytes[i] !== PEER_MAGIC[i]) return false;
  return true;
}

/** The preamble a dialer sends first. */
export function encodePreamble(): Uint8Array {
  const out = new Uint8Array(PEER_PREAMBLE_BYTES);
  out.set(PEER_MAGIC);
  out[PEER_MAGIC.byteLength] = PEER_PROTOCOL_VERSION;
  return out;
}

/** Verdict on the first bytes of an incoming connection. */
export type PreambleCheck =
  | { readonly kind: "incomplete" }
  | { readonly kind: "ok" }
  | { readonly kind: "bad"; readonly reason: string };

/** Checks the first `PEER_PREAMBLE_BYTES` of `bytes` (more bytes are ignored). */
export function checkPreamble(bytes: Uint8Array): PreambleCheck {
  if (!isPeerPrefix(bytes)) return { kind: "bad", reason: "not a peer connection (bad magic)" };
  if (bytes.byteLength < PEER_PREAMBLE_BYTES) return { kind: "incomplete" };
  const version = bytes[PEER_MAGIC.byteLength];
  if (version !== PEER_PROTOCOL_VERSION) {
    return {
      kind: "bad",
      reason: `peer speaks protocol version ${version}, this node speaks ${PEER_PROTOCOL_VERSION}`,
    };
  }
  return { kind: "ok" };
}

/** What a peer connection carries. */
export const Purpose = {
  /** Batches of Raft messages, dialer → acceptor. */
  Messages: 1,
  /** One snapshot stream, then a result back. */
  Snapshot: 2,
} as const;
export type Purpose = typeof Purpose[keyof typeof Purpose];

/** HELLO: the dialer introduces itself. */
export interface Hello {
  readonly purpose: Purpose;
  readonly senderId: number;
  /** The node the dialer means to reach; 0 when it does not know. */
  readonly targetId: number;
  readonly senderAddress: string;
  readonly nonce: Uint8Array;
}

/** CHALLENGE: the acceptor introduces itself (its proof comes with ACCEPT). */
export interface Challenge {
  readonly acceptorId: number;
  readonly nonce: Uint8Array;
}

/** A fresh random nonce. */
export function newNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

/** Encodes a HELLO payload. */
export function encodeHello(hello: Hello): Uint8Array {
  const w = new ByteWriter(64 + hello.senderAddress.length);
  w.u8(hello.purpose);
  w.varint(hello.senderId, "sender id");
  w.varint(hello.targetId, "target id");
  w.string(hello.senderAddress);
  w.raw(hello.nonce);
  return w.finish();
}

function checkId(id: number, what: string): number {
  if (id < 1) throw new WireFormatError(`${what} ${id} is not a positive integer`);
  return id;
}

/** Decodes a HELLO payload; bad input gives an error value. */
export function decodeHello(payload: Uint8Array): Decoded<Hello> {
  return decodeWith("bad HELLO", payload, (r) => {
    const purpose = r.u8("purpose");
    if (purpose !== Purpose.Messages && purpose !== Purpose.Snapshot) {
      throw new WireFormatError(`unknown connection purpose ${purpose}`);
    }
    const senderId = checkId(r.varint("sender id"), "sender id");
    const targetId = r.varint("target id");
    const senderAddress = r.string("sender address", 1024);
    const nonce = r.copy(NONCE_BYTES, "nonce");
    r.end("HELLO");
    return { purpose, senderId, targetId, senderAddress, nonce };
  });
}

/** Encodes a CHALLENGE payload. */
export function encodeChallenge(challenge: Challenge): Uint8Array {
  const w = new ByteWriter(48);
  w.varint(challenge.acceptorId, "acceptor id");
  w.raw(challenge.nonce);
  return w.finish();
}

/** Decodes a CHALLENGE payload; bad input gives an error value. */
export function decodeChallenge(payload: Uint8Array): Decoded<Challenge> {
  return decodeWith("bad CHALLENGE", payload, (r) => {
    const acceptorId = checkId(r.varint("acceptor id"), "acceptor id");
    const nonce = r.copy(NONCE_BYTES, "nonce");
    r.end("CHALLENGE");
    return { acceptorId, nonce };
  });
}

/** Checks a PROOF (or ACCEPT) payload's size and returns the proof. */
export function decodeProof(payload: Uint8Array, frame = "PROOF"): Decoded<Uint8Array> {
  if (payload.byteLength !== PROOF_BYTES) {
    return { ok: false, error: `bad ${frame}: ${payload.byteLength} bytes, expected ${PROOF_BYTES}` };
  }
  return { ok: true, value: copyBytes(payload) };
}

/** The parties and nonces of one handshake, which every proof covers. */
export interface HandshakeTranscript {
  readonly dialerId: number;
  readonly acceptorId: number;
  readonly dialerNonce: Uint8Array;
  readonly acceptorNonce: Uint8Array;
}

/**
 * HMAC-SHA256 proof that the `role` side knows `secret`.
 * @param secret the cluster secret; undefined or "" when the cluster has none
 */
export function computeProof(
  secret: string | undefined,
  role: "dialer" | "acceptor",
  t: HandshakeTranscript,
): Uint8Array {
  const w = new ByteWriter(128);
  w.string(`uhaha-raft-v${PEER_PROTOCOL_VERSION} ${role}`);
  w.raw(t.dialerNonce);
  w.raw(t.acceptorNonce);
  w.varint(t.dialerId, "dialer id");
  w.varint(t.acceptorId, "acceptor id");
  const mac = createHmac("sha256", new TextEncoder().encode(secret ?? ""));
  mac.update(w.view());
  return new Uint8Array(mac.digest());
}

/** Compares a received proof with the expected one in constant time. */
export function proofMatches(received: Uint8Array, expected: Uint8Array): boolean {
  return received.byteLength === expected.byteLength && timingSafeEqual(received, expected);
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Payload of a REFUSE frame or a failed SNAPSHOT_RESULT. */
export function encodeReason(reason: string): Uint8Array {
  return textEncoder.encode(reason.slice(0, 1000));
}

/** Reads a reason payload (lenient: invalid UTF-8 becomes U+FFFD). */
export function decodeReason(payload: Uint8Array): string {
  return textDecoder.decode(payload.subarray(0, 4000));
}
