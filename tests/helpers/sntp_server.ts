/**
 * A real SNTP server for tests, on 127.0.0.1 and a random port: answers
 * with the host's time plus a configurable offset, and can be told to
 * misbehave. Runs in the test process (node:dgram, both runtimes).
 */
import * as dgram from "node:dgram";

export type SntpBehaviour =
  | "ok"
  /** Never answers. */
  | "silent"
  /** Stratum 0 with kiss code RATE. */
  | "kiss"
  /** 20 bytes that are not an NTP packet. */
  | "garbage"
  /** A well-formed answer whose origin timestamp is not the request's. */
  | "wrong-origin"
  /** Stratum 16 (unsynchronized). */
  | "stratum16"
  /** Leap indicator 3 (unsynchronized). */
  | "leap3";

export interface SntpTestServer {
  readonly port: number;
  /** "127.0.0.1:port", as --ntp takes it. */
  readonly address: string;
  offsetMs: number;
  behaviour: SntpBehaviour;
  /** Requests received so far. */
  readonly requests: number;
  close(): Promise<void>;
}

const NTP_UNIX_DELTA_S = 2_208_988_800n;

function ntpTimestamp(unixNs: bigint): bigint {
  const seconds = unixNs / 1_000_000_000n + NTP_UNIX_DELTA_S;
  const fraction = ((unixNs % 1_000_000_000n) << 32n) / 1_000_000_000n;
  return ((seconds & 0xffff_ffffn) << 32n) | fraction;
}

/** Host wall time in ns with sub-millisecond steps (wall at start + monotonic since). */
const wallAtStartNs = BigInt(Date.now()) * 1_000_000n;
const monotonicAtStartNs = process.hrtime.bigint();
function hostNs(): bigint {
  return wallAtStartNs + (process.hrtime.bigint() - monotonicAtStartNs);
}

export async function startSntpServer(offsetMs = 0, behaviour: SntpBehaviour = "ok"): Promise<SntpTestServer> {
  const socket = dgram.createSocket("udp4");
  let requests = 0;
  const server: SntpTestServer = {
    port: 0,
    address: "",
    offsetMs,
    behaviour,
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on("message", (request: Uint8Array, from) => {
    requests++;
    const receiveNs = hostNs() + BigInt(Math.round(server.offsetMs * 1e6));
    if (server.behaviour === "silent" || request.length < 48) return;
    if (server.behaviour === "garbage") {
      socket.send(new TextEncoder().encode("this is no ntp reply"), from.port, from.address);
      return;
    }
    const reply = new Uint8Array(48);
    const view = new DataView(reply.buffer);
    const leap = server.behaviour === "leap3" ? 3 : 0;
    reply[0] = (leap << 6) | (4 << 3) | 4;
    reply[1] = server.behaviour === "kiss" ? 0 : server.behaviour === "stratum16" ? 16 : 2;
    reply.set(new TextEncoder().encode(server.behaviour === "kiss" ? "RATE" : "TEST"), 12);
    const origin = new DataView(request.buffer, request.byteOffset, request.byteLength).getBigUint64(40);
    view.setBigUint64(16, ntpTimestamp(receiveNs)); // reference
    view.setBigUint64(24, server.behaviour === "wrong-origin" ? origin ^ 0xdead_beefn : origin);
    view.setBigUint64(32, ntpTimestamp(receiveNs));
    view.setBigUint64(40, ntpTimestamp(hostNs() + BigInt(Math.round(server.offsetMs * 1e6))));
    socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  const port = socket.address().port;
  Object.assign(server, { port, address: `127.0.0.1:${port}` });
  return server;
}
