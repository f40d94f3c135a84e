/**
 * The Raft peer transport: binary message codec, framing, handshake with
 * cluster-secret authentication, and `PeerTransport`, which carries the
 * core's messages and snapshots between nodes over TCP or TLS. It is the
 * `DriverTransport` a `RaftDriver` is started with (raft/driver.ts).
 *
 * @example
 * ```ts
 * const transport = new PeerTransport({
 *   selfId: 1,
 *   selfAddress: "127.0.0.1:11001",
 *   secret: "pw",
 *   log: logger, // a Logger (raft/logger.ts): { debug, verb, info, warn }
 *   onMessage: (message) => driver.receive(message),
 *   onSnapshot: (message, data) => driver.receiveSnapshot(message, data),
 * });
 * transport.setPeers(new Map([[2, "127.0.0.1:11002"]]));
 * // In the listener: if (isPeerPrefix(firstBytes)) transport.acceptIncoming(socket, firstBytes);
 * driver.start(transport); // the driver calls send(messages) and sendSnapshot(message, chunks)
 * // …
 * await transport.close();
 * ```
 * @module
 */
export { PeerTransport, type TransportStats } from "./peer_transport.ts";
export type { PeerLinkStats } from "./peer_link.ts";
export type { PeerTransportOptions } from "./transport_options.ts";
export type { Logger } from "../logger.ts";
export { isPeerPrefix, PEER_MAGIC, PEER_PREAMBLE_BYTES, PEER_PROTOCOL_VERSION } from "./handshake.ts";
export { decodeMessages, encodeMessages, MESSAGE_CODEC_VERSION } from "./message_codec.ts";
export { DEFAULT_MAX_FRAME_BYTES, encodeFrame, type Frame, FrameDecoder, FrameType } from "./frames.ts";
export type { Decoded } from "./byte_io.ts";
