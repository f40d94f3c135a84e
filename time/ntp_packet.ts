/**
 * SNTP (RFC 4330; RFC 5905 client mode) packets and samples, pure: build a
 * request, read a server's reply, check it, and turn the four timestamps
 * into an offset and a round-trip delay. No sockets, no clock.
 *
 * Times are bigint nanoseconds. The client's own times (t1, t4) may be on
 * any clock (a monotonic one): the offset is then "server unix time minus
 * that clock", which is exactly what the synced clock adds to it.
 */

/** Size of an NTP packet without extension fields or MAC. */
export const NTP_PACKET_BYTES = 48;
/** Seconds from the NTP epoch (1900) to the unix epoch (1970). */
const NTP_UNIX_DELTA_S = 2_208_988_800n;
const NS_PER_S = 1_000_000_000n;
const MODE_CLIENT = 3;
const MODE_SERVER = 4;
const VERSION = 4;
/** Leap indicator 3: the server's clock is not synchronized (RFC 5905 §7.3). */
const LEAP_UNSYNCHRONIZED = 3;
/** Stratum 16 and above: unsynchronized (RFC 5905 §7.3). */
const STRATUM_UNSYNCHRONIZED = 16;

/** An NTP timestamp as the 64-bit value on the wire (seconds since 1900 << 32 | fraction). */
export type NtpTimestamp = bigint;

/**
 * Unix nanoseconds → NTP timestamp. Era 0 wraps in 2036; the wire keeps
 * only 32 bits of seconds (RFC 4330 §3), so later times wrap too.
 */
export function unixNsToNtp(ns: bigint): NtpTimestamp {
  const seconds = ns / NS_PER_S + NTP_UNIX_DELTA_S;
  const fraction = ((ns % NS_PER_S) << 32n) / NS_PER_S;
  return ((seconds & 0xffff_ffffn) << 32n) | fraction;
}

/**
 * NTP timestamp → unix nanoseconds. Seconds with the top bit clear are
 * taken as era 1 (2036–2104), as RFC 4330 §3 advises.
 */
export function ntpToUnixNs(timestamp: NtpTimestamp): bigint {
  let seconds = timestamp >> 32n;
  if ((seconds & 0x8000_0000n) === 0n) seconds += 1n << 32n;
  const fraction = timestamp & 0xffff_ffffn;
  return (seconds - NTP_UNIX_DELTA_S) * NS_PER_S + ((fraction * NS_PER_S + (1n << 31n)) >> 32n);
}

/**
 * A client request (mode 3, version 4). Its transmit timestamp is `nonce`,
 * which the server copies into its reply's origin timestamp: a random
 * value, so a reply is matched to its request and a stale or forged one is
 * refused (RFC 5905 §8, as chrony does).
 */
export function encodeRequest(nonce: NtpTimestamp): Uint8Array {
  const packet = new Uint8Array(NTP_PACKET_BYTES);
  packet[0] = (VERSION << 3) | MODE_CLIENT;
  new DataView(packet.buffer).setBigUint64(40, nonce);
  return packet;
}

/** The fields of a server's reply that a client uses. */
export interface NtpReply {
  readonly leap: number;
  readonly version: number;
  readonly mode: number;
  readonly stratum: number;
  /** Reference id; for stratum 0, a kiss code such as "RATE" or "DENY". */
  readonly referenceId: string;
  readonly origin: NtpTimestamp;
  readonly receive: NtpTimestamp;
  readonly transmit: NtpTimestamp;
}

/** Reads a reply, or says why the bytes are not one. */
export function decodeReply(bytes: Uint8Array): NtpReply | Error {
  if (bytes.length < NTP_PACKET_BYTES) return new Error(`short packet: ${bytes.length} bytes, want ${NTP_PACKET_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = bytes[0];
  return {
    leap: first >> 6,
    version: (first >> 3) & 7,
    mode: first & 7,
    stratum: bytes[1],
    referenceId: String.fromCharCode(...bytes.subarray(12, 16)).replace(/\0+$/, ""),
    origin: view.getBigUint64(24),
    receive: view.getBigUint64(32),
    transmit: view.getBigUint64(40),
  };
}

/** One measurement against one server. */
export interface NtpSample {
  /** Server time minus the client's clock, ns (θ of RFC 5905 §8). */
  readonly offsetNs: bigint;
  /** Round-trip delay, ns (δ of RFC 5905 §8). */
  readonly delayNs: bigint;
  readonly stratum: number;
}

/** Why a reply was not used. */
export class RejectedReply extends Error {
  override name = "RejectedReply";
}

/**
 * Checks a reply against the request it answers (RFC 4330 §5) and computes
 * the sample from the four timestamps: t1 request sent and t4 reply
 * received, on the client's clock; t2 and t3 from the reply. Refuses
 * kiss-o'-death (stratum 0), unsynchronized servers (leap 3, stratum 16),
 * a reply not to this request (origin ≠ nonce), and a delay over `maxDelayNs`.
 */
export function sampleFromReply(
  reply: NtpReply,
  request: { readonly nonce: NtpTimestamp; readonly sentNs: bigint; readonly receivedNs: bigint },
  maxDelayNs: bigint,
): NtpSample | RejectedReply {
  if (reply.mode !== MODE_SERVER) return new RejectedReply(`not a server reply (mode ${reply.mode})`);
  if (reply.version < 1 || reply.version > 4) return new RejectedReply(`unknown NTP version ${reply.version}`);
  if (reply.origin !== request.nonce) return new RejectedReply("origin timestamp does not match the request (stale or forged reply)");
  if (reply.stratum === 0) return new RejectedReply(`kiss-o'-death ${JSON.stringify(reply.referenceId)}`);
  if (reply.stratum >= STRATUM_UNSYNCHRONIZED) return new RejectedReply(`server unsynchronized (stratum ${reply.stratum})`);
  if (reply.leap === LEAP_UNSYNCHRONIZED) return new RejectedReply("server unsynchronized (leap indicator 3)");
  if (reply.transmit === 0n || reply.receive === 0n) return new RejectedReply("zero server timestamp");
  const t1 = request.sentNs;
  const t2 = ntpToUnixNs(reply.receive);
  const t3 = ntpToUnixNs(reply.transmit);
  const t4 = request.receivedNs;
  const delayNs = (t4 - t1) - (t3 - t2);
  if (delayNs > maxDelayNs) return new RejectedReply(`round trip ${delayNs / 1_000_000n} ms over the ${maxDelayNs / 1_000_000n} ms bound`);
  if (delayNs < -maxDelayNs) return new RejectedReply("negative round trip (server timestamps out of order)");
  const offsetNs = ((t2 - t1) + (t3 - t4)) / 2n;
  return { offsetNs, delayNs: delayNs < 0n ? 0n : delayNs, stratum: reply.stratum };
}

/** The best of one server's samples: the one with the shortest round trip (RFC 5905 §10's clock filter, simplified). */
export function bestSample(samples: readonly NtpSample[]): NtpSample | undefined {
  let best: NtpSample | undefined;
  for (const sample of samples) if (best === undefined || sample.delayNs < best.delayNs) best = sample;
  return best;
}

/**
 * The offset of several servers: the median of their best samples'
 * offsets (the mean of the middle two for an even count), so that fewer
 * than half of them lying cannot move it. Undefined for no servers.
 */
export function medianOffset(offsets: readonly bigint[]): bigint | undefined {
  if (offsets.length === 0) return undefined;
  const sorted = [...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2n;
}
