/**
 * `--tls-cert`, `--tls-key` and `--tls-ca`: read once at start-up and
 * checked, so that a node with a bad file refuses to start with one line
 * naming the flag, the file and the problem, instead of failing later on
 * its first connection.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { PeerTls } from "../raft/transport/peer_tls.ts";

/** The TLS flags' file paths; cert and key are both given or both not. */
export interface TlsPaths {
  readonly certPath: string | undefined;
  readonly keyPath: string | undefined;
  /**
   * Trust anchors for peers. Default: the certificates in --tls-cert (so
   * one self-signed cluster certificate works), and for dialing also the
   * system's roots.
   */
  readonly caPath: string | undefined;
}

/** A file's text, with the flag and path that named it (for messages). */
export interface FlagFile {
  readonly flag: string;
  readonly path: string;
  readonly text: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^]*?-----END CERTIFICATE-----/g;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/**
 * Reads and checks the files; undefined without --tls-cert.
 * @throws Error with a one-line message naming the flag, the file and the problem
 */
export function loadTlsFiles(paths: TlsPaths, nowMs = Date.now()): PeerTls | undefined {
  if (paths.certPath === undefined || paths.keyPath === undefined) return undefined;
  return checkTlsFiles(
    readFlagFile(paths.certPath, "--tls-cert"),
    readFlagFile(paths.keyPath, "--tls-key"),
    paths.caPath === undefined ? undefined : readFlagFile(paths.caPath, "--tls-ca"),
    nowMs,
  );
}

/** Reads a file named by a flag, or throws an error saying which flag and why. */
export function readFlagFile(path: string, flag: string): FlagFile {
  try {
    return { flag, path, text: readFileSync(path, "utf8") };
  } catch (error) {
    throw new Error(`cannot read ${flag} '${path}': ${(error as Error).message}`);
  }
}

/**
 * Checks that the certificate and key are PEM, belong together and that the
 * certificate is valid at `nowMs`; the CA file must hold PEM certificates.
 * @throws Error with a one-line message
 */
export function checkTlsFiles(cert: FlagFile, key: FlagFile, ca: FlagFile | undefined, nowMs: number): PeerTls {
  const certificates = pemCertificates(cert);
  const leaf = certificates[0];
  const privateKey = parsePrivateKey(key);
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new Error(`${key.flag} '${key.path}' is not the private key of the certificate in ${cert.flag} '${cert.path}'`);
  }
  const notAfter = Date.parse(leaf.validTo);
  if (notAfter < nowMs) throw new Error(`${cert.flag} '${cert.path}' expired on ${new Date(notAfter).toISOString()}`);
  const notBefore = Date.parse(leaf.validFrom);
  if (notBefore > nowMs) throw new Error(`${cert.flag} '${cert.path}' is not valid before ${new Date(notBefore).toISOString()}`);
  if (ca === undefined) return { cert: cert.text, key: key.text, ca: pemBlocks(cert.text), systemRoots: true };
  pemCertificates(ca);
  return { cert: cert.text, key: key.text, ca: pemBlocks(ca.text) };
}

function pemBlocks(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}

/** Every certificate in a PEM file (at least one), parsed. */
function pemCertificates(file: FlagFile): X509Certificate[] {
  const blocks = pemBlocks(file.text);
  if (blocks.length === 0) {
    throw new Error(`${file.flag} '${file.path}' is not a PEM certificate file (no BEGIN CERTIFICATE block)`);
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new Error(`${file.flag} '${file.path}': certificate ${i + 1} does not parse: ${(error as Error).message}`);
    }
  });
}

function parsePrivateKey(file: FlagFile): KeyObject {
  if (!PEM_PRIVATE_KEY.test(file.text)) {
    throw new Error(`${file.flag} '${file.path}' is not a PEM private key file (no BEGIN PRIVATE KEY block)`);
  }
  try {
    return createPrivateKey(file.text);
  } catch (error) {
    throw new Error(`${file.flag} '${file.path}': the private key does not parse: ${(error as Error).message}`);
  }
}
