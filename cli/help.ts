/** The `-h` screen, in uhaha's layout (Basic / Security / Networking / Advanced). */
export function helpText(program: string): string {
  return `Usage: ${program} [-n id] [-a addr] [options] [app.ts ...]

Basic options:
  -v               : display version
  -h               : display help, this screen
  -a addr          : bind to address  (default: 127.0.0.1:11001)
                     ':port' listens on all interfaces
  -n id            : node ID  (default: 1)
  -d dir           : data directory  (default: data)
  -j addr          : leader address of a cluster to join
  -l level         : log level  (default: info) [debug,verb,info,warn,silent]
  --nonvoter       : join the cluster as a non-voting member
  --leave-on-exit  : on SIGTERM/SHUTDOWN, remove this node from the cluster
                     before exiting (for a node going away for good)
  --reset          : wipe this node's data directory first: how a node that
                     was removed from its cluster may start again (with -j)

Security options:
  --tls-cert path  : path to TLS certificate (PEM); clients and peers use TLS
  --tls-key path   : path to TLS private key (PEM)
  --tls-ca path    : CA certificates (PEM) peers verify each other with
                     (default: the --tls-cert file, and the system roots
                     for the certificate of a peer dialed). A peer must
                     present a certificate that chains to it; the one it
                     is dialed at must also name its address (IP SAN).
  --auth auth      : cluster authorization, shared by all servers and clients;
                     wrong passwords from one address are answered later
                     and later after 10 failures
  --auth-timeout s : with --auth, close connections that have not
                     authenticated within s seconds  (default: 10, 0: never)

Limits (0 turns a limit off; Raft peers are never counted or cut):
  --max-clients n  : most clients at once; more get "-ERR max number of
                     clients reached" and are closed  (default: 10000)
  --max-reply-buffer size
                   : disconnect a client that leaves more than size of
                     replies unsent (a pipeline's replies count together),
                     such as 32mb or 512kb  (default: 32mb)
  --max-queued-writes n
                   : most writes waiting for the log; more get "-BUSY …" at
                     once  (default: 100000; also at most 256 MiB of them)
  Requests are limited as in Redis: bulk arguments up to 512 MB, up to
  1048576 arguments, inline commands up to 64 KB.

Networking options:
  --advertise addr : advertise address  (default: network bound address)
  --try-errors     : redirect clients with -TRY addr instead of -MOVED 0 addr
  --proxy          : a follower runs commands that need the leader there and
                     returns its replies, instead of redirecting (MOVED)

Advanced options:
  --nosync         : turn off syncing data to disk after every write. This leads
                     to faster write operations but opens up the chance for data
                     loss due to catastrophic events such as power failure.
  --openreads      : allow followers to process read commands, but with the
                     possibility of returning stale data.
  --localtime      : use the host clock for machine time instead of NTP.
  --ntp servers    : NTP servers host[:port],... to sync machine time with
                     (default: 0.pool.ntp.org,1.pool.ntp.org,
                     time.cloudflare.com,time.google.com)
  --time-grace s   : seconds to wait for a first NTP answer before falling
                     back to the host clock  (default: 5)
  --strict-time    : never fall back: refuse writes until an NTP server
                     has answered.
  --snapshot-threshold n
                   : take a snapshot after n applied log entries (default 8192);
                     also after 8 MiB of applied commands (or as many as
                     the state's size, up to 32 MiB), and every 2 minutes
                     when anything was applied.
  --evict-nonvoter-after d
                   : the leader removes a non-voter it has not heard from
                     for this long, a Go duration such as 10m (default: never)
  --restore path   : restore a raft machine from a snapshot file. This will
                     start a brand new single-node cluster using the snapshot as
                     initial data. The other nodes must be re-joined. This
                     operation is refused when the data directory already
                     exists. Cannot be used with -j flag.
`;
}
