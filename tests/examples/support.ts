/**
 * The example tests' clients and sockets: each is tracked, so that
 * `closeAll` closes them all (before nodes stop, or when a test fails
 * half-way). Cluster and RESP helpers are in tests/helpers/.
 */

const open = new Set<{ disconnect(): void } | { close(): void }>();

/** Remembers a client or socket so that `closeAll` closes it, even when a test fails half-way. */
export function track<T extends { disconnect(): void } | { close(): void }>(resource: T): T {
  open.add(resource);
  return resource;
}

/** Closes every tracked client and socket (an open one would keep the test process alive). */
export function closeAll(): void {
  for (const resource of open) {
    if ("disconnect" in resource) resource.disconnect();
    else resource.close();
  }
  open.clear();
}
