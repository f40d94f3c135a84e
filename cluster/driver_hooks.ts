/**
 * What the Raft driver calls back into: the replicated machine (apply,
 * snapshot, restore) and the node's reports of role changes (the log's role
 * letter, "entering leader state", the app's stateChange hook).
 */
import type { App } from "../api/app.ts";
import type { ReplicatedMachine } from "../machine/machine.ts";
import type { RoleKind } from "../raft/core/types.ts";
import type { Applier } from "../raft/driver.ts";
import { ProgressLog } from "../raft/progress_log.ts";
import { callHook } from "./app_hooks.ts";
import type { NodeLogger, RoleLetter } from "./logger.ts";

const ROLE_LETTERS = { follower: "F", preCandidate: "C", candidate: "C", leader: "L" } as const satisfies Record<RoleKind, RoleLetter>;

export function machineApplier(machine: ReplicatedMachine<unknown>, log: NodeLogger): Applier {
  return {
    apply: (data, index) => {
      const outcome = machine.apply(data, index);
      if (outcome.type === "invalid") log.warn(`entry ${index}: ${outcome.error.message}`);
      return outcome.type === "batch" ? outcome.results : [];
    },
    snapshot: () => machine.snapshotChunks(),
    restore: (bytes) => machine.restore(bytes),
    // Nodes restore from their stored snapshot as it is read: progress counts the bytes the machine took.
    restoreChunks: async (chunks) => {
      const progress = new ProgressLog((line) => log.info(line), "restoring the machine from a snapshot");
      let taken = 0;
      async function* counted(): AsyncIterable<Uint8Array> {
        for await (const chunk of chunks) {
          taken += chunk.byteLength;
          progress.set(taken);
          yield chunk;
        }
      }
      await machine.restoreChunks(counted());
      progress.finish();
    },
    snapshotHeader: () => ({ time: Number(machine.timeNs / 1_000_000n), seed: "" }),
  };
}

/** Reports each change of role, term or leader: the log and the app's stateChange hook. */
export function roleReporter(app: App<unknown>, log: NodeLogger) {
  return ({ role, term, leaderId }: { role: RoleKind; term: number; leaderId: number }): void => {
    if (ROLE_LETTERS[role] !== log.role) {
      callHook(log, "stateChange", () => app.stateChange?.(role === "leader" ? "leader" : role === "follower" ? "follower" : "candidate"));
    }
    log.role = ROLE_LETTERS[role];
    if (role === "leader") log.info(`entering leader state (term ${term})`);
    else log.verb(`${role} in term ${term}, leader ${leaderId || "unknown"}`);
  };
}
