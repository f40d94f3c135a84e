/**
 * The Raft peer transport: binary message codec, framing, handshake with
 * cluster-secret authentication, and `PeerTransport`, which carries the
 * core's messages and snapshots between nodes over TCP or TLS.
 *
 * @example
 * ```ts
 * const transport = new PeerTransport({
 *   selfId: 1,
 *   selfAddress: "127.0.0.1:11001",
 *   secret: "pw",
 *   log: logger, // { debug, verb, info, warn }
 *   onMessage: (m) => driver.step(m),
 *   onSnapshot: (m, data) => driver.installSnapshot(m, data),
 * });
 * transport.setPeers(new Map([[2, "127.0.0.1:11002"]]));
 * // in the listener: if (isPeerPrefix(firstBytes)) transport.acceptIncoming(socket, firstBytes);
 * transport.send(ready.messages);
 * ```
 * @module
 */
export { PeerTransport, type TransportStats } from "./peer_transport.ts";
export type { PeerLinkStats } from "./peer_link.ts";
export type { PeerTransportOptions, TransportLog } from "./transport_options.ts";
export { isPeerPrefix, PEER_MAGIC, PEER_PREAMBLE_BYTES, PEER_PROTOCOL_VERSION } from "./handshake.ts";
export { decodeMessages, encodeMessages, MESSAGE_CODEC_VERSION } from "./message_codec.ts";
export { DEFAULT_MAX_FRAME_BYTES, encodeFrame, type Frame, FrameDecoder, FrameType } from "./frames.ts";
export type { Decoded } from "./byte_io.ts";
