/**
 * Addresses as `host:port` (`[ipv6]:port`; `:port` means every interface):
 * the one parser and formatter of the project, for flags, peers, redirects
 * and clients.
 */

export interface HostPort {
  /** "" for every interface (`:11001`). */
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `text`; a string result says what is wrong, in words a message can
 * quote after the name of what was being parsed ("-a needs …").
 */
export function parseHostPort(text: string): HostPort | string {
  const match = /^(\[[^\]]*\]|[^:]*):([^:]*)$/.exec(text);
  if (!match) return `needs an address host:port, got '${text}'`;
  const host = match[1].replace(/^\[(.*)\]$/, "$1");
  const port = Number(match[2]);
  if (!/^\d+$/.test(match[2]) || port < 1 || port > 65535) {
    return `needs a port from 1 to 65535, got '${match[2]}' in '${text}'`;
  }
  return { host, port };
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * True for a host only this machine can reach: `localhost`, 127.0.0.0/8,
 * `::1`. "" (every interface) is not.
 * @example isLoopbackHost("127.0.0.2"); // true
 */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
