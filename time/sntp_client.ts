/**
 * The SNTP client's edge: one UDP query to one server over node:dgram, and
 * a round over several servers at once (each with its own DNS look-up and
 * deadline, so one dead or unresolvable server delays none of the others).
 * The protocol itself is in ntp_packet.ts.
 */
import * as dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { getRandomValues } from "node:crypto";
import { formatHostPort, type HostPort, parseHostPort } from "../api/host_port.ts";
import { bestSample, decodeReply, encodeRequest, type NtpSample, RejectedReply, sampleFromReply } from "./ntp_packet.ts";

export const NTP_PORT = 123;

/** Public NTP pools asked when no `--ntp` is given. */
export const DEFAULT_NTP_SERVERS: readonly HostPort[] = [
  { host: "0.pool.ntp.org", port: NTP_PORT },
  { host: "1.pool.ntp.org", port: NTP_PORT },
  { host: "time.cloudflare.com", port: NTP_PORT },
  { host: "time.google.com", port: NTP_PORT },
];

/** `host[:port],…` (port 123 by default) → servers, or what is wrong. */
export function parseNtpServers(text: string): HostPort[] | string {
  const servers: HostPort[] = [];
  for (const item of text.split(",").map((part) => part.trim())) {
    if (item === "") return `needs servers host[:port],…, got '${text}'`;
    const colons = item.split(":").length - 1;
    // host, [v6] and a bare v6 address take port 123; host:port and [v6]:port are as given.
    const withPort = colons === 0 || /^\[[^\]]*\]$/.test(item)
      ? `${item}:${NTP_PORT}`
      : colons > 1 && !item.startsWith("[")
      ? `[${item}]:${NTP_PORT}`
      : item;
    const parsed = parseHostPort(withPort);
    if (typeof parsed === "string") return parsed;
    if (parsed.host === "") return `needs a host in '${item}'`;
    servers.push(parsed);
  }
  return servers;
}

/** What asking one server gave. */
export type ServerResult =
  | { readonly kind: "sample"; readonly server: HostPort; readonly sample: NtpSample }
  /** It answered, but nothing usable (kiss-o'-death, unsynchronized, garbage, wrong origin …). */
  | { readonly kind: "rejected"; readonly server: HostPort; readonly reason: string }
  /** No answer in time. */
  | { readonly kind: "timeout"; readonly server: HostPort }
  /** Not even asked: its name does not resolve, or the packet cannot be sent. */
  | { readonly kind: "unreachable"; readonly server: HostPort; readonly reason: string };

export interface QueryOptions {
  /** The client's clock (t1, t4): unix-like ns; the offset is relative to it. */
  readonly clock: () => bigint;
  /** How long one request waits for its reply. */
  readonly timeoutMs: number;
  /** Largest round trip accepted. */
  readonly maxDelayNs: bigint;
}

/** Asks `server` once; never throws. */
export async function queryServer(server: HostPort, options: QueryOptions): Promise<ServerResult> {
  let address: { address: string; family: number };
  try {
    address = await resolve(server.host);
  } catch (error) {
    return { kind: "unreachable", server, reason: `cannot resolve ${server.host}: ${(error as Error).message}` };
  }
  const socket = dgram.createSocket(address.family === 6 ? "udp6" : "udp4");
  const nonce = new DataView(getRandomValues(new Uint8Array(8)).buffer).getBigUint64(0);
  try {
    return await new Promise<ServerResult>((resolve) => {
      const timer = setTimeout(() => resolve({ kind: "timeout", server }), options.timeoutMs);
      const done = (result: ServerResult) => {
        clearTimeout(timer);
        resolve(result);
      };
      let sentNs = 0n;
      socket.on("error", (error) => done({ kind: "unreachable", server, reason: error.message }));
      socket.on("message", (message: Uint8Array) => {
        const receivedNs = options.clock();
        const reply = decodeReply(message);
        if (reply instanceof Error) return done({ kind: "rejected", server, reason: reply.message });
        const sample = sampleFromReply(reply, { nonce, sentNs, receivedNs }, options.maxDelayNs);
        // Each request has its own socket and nonce: a reply that does not match (a forgery) ends this request as rejected.
        if (sample instanceof RejectedReply) return done({ kind: "rejected", server, reason: sample.message });
        done({ kind: "sample", server, sample });
      });
      sentNs = options.clock();
      socket.send(encodeRequest(nonce), server.port, address.address, (error) => {
        if (error) done({ kind: "unreachable", server, reason: `cannot send to ${formatHostPort(server.host, server.port)}: ${error.message}` });
      });
    });
  } finally {
    socket.close();
  }
}

/**
 * The address of `host`: an IP literal as it is, a name through the
 * system resolver — one look-up at a time, because Node's getaddrinfo
 * holds a thread of the pool that file I/O also uses, and a resolver that
 * does not answer would otherwise hold several of them for seconds.
 */
function resolve(host: string): Promise<{ address: string; family: number }> {
  const family = isIP(host);
  if (family !== 0) return Promise.resolve({ address: host, family });
  const looked = lookups.then(() => lookup(host));
  lookups = looked.then(() => undefined, () => undefined);
  return looked;
}
let lookups: Promise<void> = Promise.resolve();

/** One server's part of a round: its best sample, or why there is none. */
export type RoundResult = ServerResult;

/**
 * Asks every server `samplesPerServer` times (one request after the other,
 * servers in parallel) and keeps each server's best sample. A server that
 * cannot be reached or does not answer is asked no further this round.
 */
export async function queryRound(
  servers: readonly HostPort[],
  samplesPerServer: number,
  options: QueryOptions,
): Promise<RoundResult[]> {
  return await Promise.all(servers.map(async (server): Promise<RoundResult> => {
    const samples: NtpSample[] = [];
    let last: ServerResult | undefined;
    for (let i = 0; i < samplesPerServer; i++) {
      last = await queryServer(server, options);
      if (last.kind === "sample") samples.push(last.sample);
      else if (last.kind !== "rejected") break;
    }
    const best = bestSample(samples);
    return best ? { kind: "sample", server, sample: best } : last!;
  }));
}
