/**
 * Certificates for tests, made with the `openssl` command line: a
 * self-signed certificate (its own CA), one signed by another, and one
 * that expired before the test ran.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CertFiles {
  readonly certPath: string;
  readonly keyPath: string;
  /** PEM texts. */
  readonly cert: string;
  readonly key: string;
}

function openssl(args: string[], cwd?: string): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"], cwd });
}

function files(dir: string, name: string): CertFiles {
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}-key.pem`);
  return { certPath, keyPath, get cert() { return readFileSync(certPath, "utf8"); }, get key() { return readFileSync(keyPath, "utf8"); } };
}

/**
 * A self-signed certificate named `name` in `dir`, valid for a day.
 * @param san subjectAltName, e.g. "IP:127.0.0.1"; undefined for none (CN only)
 */
export function selfSigned(dir: string, name: string, san: string | undefined = "IP:127.0.0.1"): CertFiles {
  const out = files(dir, name);
  openssl([
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${name}`,
    ...(san === undefined ? [] : ["-addext", `subjectAltName=${san}`]),
    "-keyout", out.keyPath, "-out", out.certPath,
  ]);
  return out;
}

/** A certificate for `name` (SAN IP:127.0.0.1) signed by `ca`, valid between the two dates (YYYYMMDDHHMMSSZ). */
export function signedBy(dir: string, name: string, ca: CertFiles, startDate: string, endDate: string): CertFiles {
  const out = files(dir, name);
  const csr = join(dir, `${name}.csr`);
  openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", out.keyPath, "-out", csr]);
  // `openssl ca` is the command line's way to set both validity dates.
  writeFileSync(join(dir, `${name}-index.txt`), "");
  writeFileSync(join(dir, `${name}-serial`), "01\n");
  writeFileSync(join(dir, `${name}-ca.cnf`), [
    "[ca]", "default_ca = this", "[this]", `database = ${name}-index.txt`, "new_certs_dir = .", `serial = ${name}-serial`,
    "default_md = sha256", "policy = any", "copy_extensions = copy", "[any]", "commonName = supplied", "",
  ].join("\n"));
  openssl([
    "ca", "-batch", "-notext", "-config", `${name}-ca.cnf`, "-cert", ca.certPath, "-keyfile", ca.keyPath,
    "-startdate", startDate, "-enddate", endDate, "-in", csr, "-out", out.certPath,
  ], dir);
  return out;
}
