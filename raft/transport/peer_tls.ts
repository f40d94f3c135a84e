/**
 * TLS between peers, verified both ways (mutual TLS with one trust anchor):
 *
 * - A dialer checks the acceptor's certificate against `ca` (and the
 *   system's roots when `systemRoots`) and against the host it dialed (the
 *   peer's advertised address): an IP needs an IP subjectAltName, a name a
 *   DNS one. It presents its own certificate.
 * - An acceptor asks every connection for a certificate but lets clients
 *   without one in (RESP clients need none); a connection that turns out to
 *   be a peer must have presented a certificate that chains to `ca` — never
 *   to the system's roots, since any public CA would then vouch for anyone —
 *   or it is refused before the handshake. The acceptor does not match the
 *   certificate against the peer's source address (NAT, --advertise): the
 *   CA and the cluster secret vouch for it.
 */
import type * as net from "node:net";
import * as tls from "node:tls";

/** A node's certificate and key (PEM) and the certificates its peers' must chain to. */
export interface PeerTls {
  readonly cert: string;
  readonly key: string;
  /** Trust anchors (PEM certificates) for both directions. */
  readonly ca: readonly string[];
  /** Dialers also trust the system's root certificates. */
  readonly systemRoots?: boolean;
}

/** Options for `tls.connect` to `host`: verified against `ca` and `host`, presenting our certificate. */
export function dialTlsOptions(peerTls: PeerTls, host: string, port: number): tls.ConnectionOptions {
  const ca = peerTls.systemRoots ? [...tls.rootCertificates, ...peerTls.ca] : [...peerTls.ca];
  return { host, port, cert: peerTls.cert, key: peerTls.key, ca, rejectUnauthorized: true };
}

/** Options for `tls.createServer`: certificates are asked for, checked, and judged per connection. */
export function serverTlsOptions(peerTls: PeerTls): tls.TlsOptions {
  return {
    cert: peerTls.cert,
    key: peerTls.key,
    ca: [...peerTls.ca],
    requestCert: true,
    // Clients connect without certificates; peers are judged by peerCertificateProblem.
    rejectUnauthorized: false,
  };
}

/**
 * Why an accepted socket's certificate does not make it a peer, or
 * undefined when it verified against the server's `ca`. A plain TCP socket
 * (no TLS configured) has nothing to check.
 */
export function peerCertificateProblem(socket: net.Socket): string | undefined {
  if (!("authorized" in socket)) return undefined;
  const tlsSocket = socket as tls.TLSSocket;
  if (tlsSocket.authorized) return undefined;
  const presented = Object.keys(tlsSocket.getPeerCertificate() ?? {}).length > 0;
  if (!presented) return "the peer presented no TLS certificate (peers must present one that chains to --tls-ca)";
  return `the peer's TLS certificate is not trusted (${String(tlsSocket.authorizationError ?? "unverified")}; peers must present one that chains to --tls-ca)`;
}
