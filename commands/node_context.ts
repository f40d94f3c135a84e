/**
 * What the built-in and application commands of a running node share.
 */
import type { App, CommandEvent } from "../api/app.ts";
import type { Dispatch } from "../server/client_connection.ts";
import type { LeaderProxy } from "../cluster/leader_proxy.ts";
import type { ReplicatedMachine } from "../machine/machine.ts";
import type { RaftDriver } from "../raft/driver.ts";
import type { SnapshotStore } from "../raft/storage/snapshot_store.ts";
import type { Logger } from "../raft/logger.ts";
import type { TimeStatus } from "../time/time_source.ts";

export interface NodeContext {
  readonly app: App<unknown>;
  readonly appVersion: string;
  readonly nodeId: number;
  /** host:port other nodes and redirected clients use. */
  readonly advertise: string;
  readonly driver: RaftDriver;
  readonly machine: ReplicatedMachine<unknown>;
  readonly snapshots: SnapshotStore;
  /** Directory of the snapshot store (RAFT SNAPSHOT FILE answers absolute paths in it). */
  readonly snapshotDir: string;
  readonly openReads: boolean;
  /**
   * Peers speak mutually verified TLS: RAFT SERVER ADD then needs a client
   * that presented a certificate the node trusts, as a joining node does.
   */
  readonly verifiedTls: boolean;
  /** True once the node has applied the log it had at start-up ("logs loaded"). */
  isLoaded(): boolean;
  /** Answer redirects with `-TRY addr` instead of `-MOVED 0 addr`. */
  readonly tryErrors: boolean;
  readonly log: Logger;
  /** Index of the last entry in the log when the node started (for logs_loaded_percent). */
  readonly startupLastIndex: number;
  /** Stops the node (SHUTDOWN). */
  shutdown(): void;
  /** Runs a command as if `client` had sent it (rewrites). */
  readonly dispatch: Dispatch;
  /** Listeners of every command received (MONITOR). */
  readonly commandObservers: Set<(event: CommandEvent) => void>;
  /** Forwards what needs the leader to it, on a follower started with --proxy. */
  readonly proxy: LeaderProxy | undefined;
  /** This node's time source: RAFT INFO time_*, and whether writes wait for it (--strict-time). */
  readonly time: TimeStatus;
}
