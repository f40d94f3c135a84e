/**
 * What a node remembers of the membership beside its Raft state, in
 * `<node dir>/membership.json`: the members of the last committed
 * configuration it applied, the ids it saw removed (with the index of the
 * latest committed configuration without them), and whether it was
 * removed itself.
 *
 * It is what keeps a removed node from disturbing the cluster with its old
 * data. A node knows it was removed in two ways:
 * - it applied a committed configuration without itself, after one with
 *   itself (a leader removed or leaving, a follower that received its
 *   removal before the leader stopped sending to it);
 * - on contact: a member that applied its removal refuses its peer
 *   connection, saying so (`removalRefusal`). A member says so only of an id
 *   it saw removed by a committed configuration and that its latest
 *   configuration does not list again, and the refused node believes it
 *   only if its own configuration is older than that removal — a node
 *   re-added since (after --reset) knows a newer configuration and is not
 *   fooled by a member that has not applied the re-adding yet.
 * Either way it records the fact and stops, and a restart on that data is
 * refused until --reset wipes it.
 */
import * as path from "node:path";
import { readFileSync } from "node:fs";
import type { MembershipConfig } from "../raft/core/types.ts";
import { decodeChecked, encodeChecked, writeFileAtomic } from "../raft/storage/atomic_file.ts";
import { nodeFileIO } from "../raft/storage/file_io.ts";

export interface MembershipRecord {
  /** Ids of the last committed configuration applied ([] before any). */
  readonly members: readonly number[];
  /** Index of that configuration (0 before any). */
  readonly configIndex: number;
  /**
   * Id → index of the latest committed configuration seen without it (it
   * was in an earlier one). The latest, not the first: a configuration
   * that re-added the id and the one that removed it again may both have
   * passed between two looks, and a node re-added since must know a newer
   * configuration than this index.
   */
  readonly removed: Readonly<Record<string, number>>;
  /** Set once this node knows it was removed: the configuration index, and how it learned it. */
  readonly selfRemoved: { readonly index: number; readonly how: string } | null;
}

export const EMPTY_RECORD: MembershipRecord = Object.freeze({ members: [], configIndex: 0, removed: {}, selfRemoved: null });

/**
 * The record after applying the committed configuration `config` (at
 * `configIndex`), or undefined when it does not change. Pure.
 */
export function observeConfig(record: MembershipRecord, selfId: number, config: MembershipConfig, configIndex: number): MembershipRecord | undefined {
  if (configIndex <= record.configIndex) return undefined;
  const ids = config.members.map((m) => m.id).sort((a, b) => a - b);
  const removed: Record<string, number> = {};
  for (const id of [...record.members, ...Object.keys(record.removed).map(Number)]) {
    if (!ids.includes(id)) removed[id] = configIndex;
  }
  const selfRemoved = ids.includes(selfId)
    ? null
    : record.members.includes(selfId)
    ? { index: configIndex, how: "it applied the configuration that removed it" }
    : record.selfRemoved;
  return { members: ids, configIndex, removed, selfRemoved };
}

const REMOVED_AT = /node (\d+) was removed from the cluster by the configuration at index (\d+)/;

/**
 * Why a member refuses a peer connection from node `peerId`: it saw that id
 * removed and its latest configuration (`latest`) does not list it again.
 * Undefined: no objection. Pure.
 */
export function removalRefusal(record: MembershipRecord, latest: MembershipConfig, peerId: number): string | undefined {
  if (latest.members.some((m) => m.id === peerId)) return undefined;
  const index = record.removed[peerId];
  if (index === undefined) return undefined;
  return `node ${peerId} was removed from the cluster by the configuration at index ${index}; it must not rejoin with its old data (restart it with --reset)`;
}

/** The configuration index a refusal from removalRefusal names for `selfId`, or undefined for any other refusal. Pure. */
export function removalIndexIn(refusal: string, selfId: number): number | undefined {
  const match = REMOVED_AT.exec(refusal);
  return match && Number(match[1]) === selfId ? Number(match[2]) : undefined;
}

/** The message a removed node starts (or stops) with. */
export function removedMessage(selfId: number, removal: NonNullable<MembershipRecord["selfRemoved"]>, dir: string): string {
  return `node ${selfId} was removed from the cluster (configuration index ${removal.index}; ${removal.how}). ` +
    `It does not start on its old data, which would disturb the cluster: start it with --reset to wipe ${dir} ` +
    `and rejoin with -j, or use another node id`;
}

function parseRecord(value: unknown, file: string): MembershipRecord {
  const v = value as Partial<MembershipRecord> | null;
  const ids = (x: unknown) => Array.isArray(x) && x.every((id) => Number.isSafeInteger(id));
  const configIndex = v?.configIndex ?? 0;
  const removed = v?.removed;
  const selfRemoved = v?.selfRemoved;
  if (
    !v || !ids(v.members) || !Number.isSafeInteger(configIndex) || typeof removed !== "object" || removed === null ||
    !Object.values(removed).every((index) => Number.isSafeInteger(index)) ||
    (selfRemoved !== null && (typeof selfRemoved !== "object" || !Number.isSafeInteger(selfRemoved?.index) || typeof selfRemoved?.how !== "string"))
  ) {
    throw new Error(`${file} is not a membership record; remove it (it is rebuilt) or restart with --reset`);
  }
  return { members: v.members as number[], configIndex, removed: removed as Record<string, number>, selfRemoved: selfRemoved ?? null };
}

/** The record file of one node directory: read at open, replaced atomically on each change, in order. */
export class MembershipRecordFile {
  readonly #file: string;
  readonly #sync: boolean;
  #record: MembershipRecord;
  #saving: Promise<void> = Promise.resolve();

  private constructor(file: string, sync: boolean, record: MembershipRecord) {
    this.#file = file;
    this.#sync = sync;
    this.#record = record;
  }

  /** Opens `<dir>/membership.json` (an empty record when absent). */
  static open(dir: string, nosync: boolean): MembershipRecordFile {
    const file = path.join(dir, "membership.json");
    let bytes: Uint8Array | undefined;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    return new MembershipRecordFile(file, !nosync, bytes === undefined ? EMPTY_RECORD : parseRecord(decodeChecked(bytes, file), file));
  }

  get record(): MembershipRecord {
    return this.#record;
  }

  /** Makes `next` the record; durable when the promise resolves. */
  set(next: MembershipRecord): Promise<void> {
    this.#record = next;
    const bytes = encodeChecked(next);
    const save = this.#saving.then(() => writeFileAtomic(nodeFileIO, this.#file, bytes, this.#sync));
    this.#saving = save.catch(() => {});
    return save;
  }

  /** Resolves once every save has finished. */
  flushed(): Promise<void> {
    return this.#saving;
  }
}
