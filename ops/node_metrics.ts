/**
 * A node's counters and latency histograms, fed by small observers wrapped
 * around the seams that already exist — the applier the driver calls, the
 * file I/O the log store calls, the dispatcher clients' commands go through —
 * so no counter is threaded through the layers it measures.
 */
import type { FileIO } from "../raft/storage/file_io.ts";
import type { Applier } from "../raft/driver_seams.ts";
import type { Dispatch } from "../server/client_connection.ts";
import { Histogram } from "./histogram.ts";

/** What a client's command is, for the counters (undefined: neither, e.g. PING). */
export type CommandKindOf = (args: Uint8Array[]) => "write" | "read" | undefined;

export class NodeMetrics {
  /** Seconds per committed entry applied to the machine. */
  readonly applyLatency = new Histogram();
  /** Seconds per fdatasync/fsync of the Raft log. */
  readonly fsyncLatency = new Histogram();
  /** Write commands received from clients (a forwarded one counts on both nodes). */
  writes = 0;
  /** Read commands received from clients. */
  reads = 0;
  /** Client commands applied to the machine (every replica applies every write). */
  appliedCommands = 0;

  /** `applier`, timing each apply and counting the commands in it. */
  observeApplier(applier: Applier): Applier {
    return {
      ...applier,
      apply: (data, index) => {
        const started = performance.now();
        const results = applier.apply(data, index);
        this.applyLatency.observe((performance.now() - started) / 1000);
        if (Array.isArray(results)) this.appliedCommands += results.length;
        return results;
      },
    };
  }

  /** `io`, timing every datasync and fsync. */
  observeFileIO(io: FileIO): FileIO {
    const timed = (sync: (fd: number) => Promise<void>) => async (fd: number) => {
      const started = performance.now();
      await sync(fd);
      this.fsyncLatency.observe((performance.now() - started) / 1000);
    };
    return { ...io, datasync: timed(io.datasync), fsync: timed(io.fsync) };
  }

  /** `dispatch`, counting the writes and reads that go through it. */
  observeDispatch(dispatch: Dispatch, kindOf: CommandKindOf): Dispatch {
    return (conn, args) => {
      const kind = kindOf(args);
      if (kind === "write") this.writes++;
      else if (kind === "read") this.reads++;
      return dispatch(conn, args);
    };
  }
}
