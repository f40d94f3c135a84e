/**
 * Raft's stable state: current term, vote, this node's id and the cluster
 * configuration. Small, rewritten whole and atomically on every change
 * (temp file, fsync, rename, fsync of the directory).
 */
import * as path from "node:path";
import { decodeChecked, encodeChecked, writeFileAtomic } from "./atomic_file.ts";
import {
  defaultStorageLogger,
  errorCode,
  FailureReporter,
  StorageClosedError,
  StorageCorruptError,
  StorageFailedError,
  type StorageLogger,
} from "./errors.ts";
import { type FileIO, nodeFileIO } from "./file_io.ts";

/** Any value JSON can carry. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface StableState {
  /** Latest term this node has seen (0 for a new node). */
  readonly currentTerm: number;
  /** Node id voted for in currentTerm, or null. */
  readonly votedFor: string | null;
  /** This node's id once it belongs to a cluster, or null. */
  readonly nodeId: string | null;
  /** The cluster configuration (servers, voters...) as JSON-able data; null when none. */
  readonly config: JsonValue;
}

export const EMPTY_STABLE_STATE: StableState = Object.freeze({ currentTerm: 0, votedFor: null, nodeId: null, config: null });

export interface StableStore {
  /** The last saved state (EMPTY_STABLE_STATE for a new node). */
  get(): StableState;
  /** Replaces the state; durable (and visible to get()) when the promise resolves. Saves run in call order. */
  save(state: StableState): Promise<void>;
  /** save({...get(), ...patch}) as of when it runs. */
  update(patch: Partial<StableState>): Promise<void>;
  close(): Promise<void>;
}

/** Returns the problem with `state`, or null. */
export function stableStateProblem(state: unknown): string | null {
  if (typeof state !== "object" || state === null) return "state must be an object";
  const s = state as Record<string, unknown>;
  if (!Number.isSafeInteger(s.currentTerm) || (s.currentTerm as number) < 0) return `currentTerm must be a non-negative integer, got ${s.currentTerm}`;
  if (s.votedFor !== null && typeof s.votedFor !== "string") return "votedFor must be a string or null";
  if (s.nodeId !== null && typeof s.nodeId !== "string") return "nodeId must be a string or null";
  if (!("config" in s)) return "config is missing (use null)";
  return null;
}

function normalize(state: StableState): StableState {
  const problem = stableStateProblem(state);
  if (problem) throw new TypeError(`invalid stable state: ${problem}`);
  // A JSON round trip both validates the config and detaches it from the caller.
  const config = JSON.parse(JSON.stringify(state.config ?? null)) as JsonValue;
  return Object.freeze({ currentTerm: state.currentTerm, votedFor: state.votedFor, nodeId: state.nodeId, config });
}

/** Serializes async saves so they land in call order. */
abstract class OrderedStableStore implements StableStore {
  protected state: StableState;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  constructor(state: StableState) {
    this.state = state;
  }
  get(): StableState {
    return this.state;
  }
  save(state: StableState): Promise<void> {
    return this.#then(() => normalize(state));
  }
  update(patch: Partial<StableState>): Promise<void> {
    return this.#then(() => normalize({ ...this.state, ...patch }));
  }
  async close(): Promise<void> {
    this.#closed = true;
    await this.#chain.catch(() => {});
  }
  protected abstract persist(state: StableState): Promise<void>;
  #then(next: () => StableState): Promise<void> {
    if (this.#closed) return Promise.reject(new StorageClosedError("stable store"));
    const run = this.#chain.then(async () => {
      const state = next();
      await this.persist(state);
      this.state = state;
    });
    this.#chain = run.catch(() => {});
    return run;
  }
}

export class MemoryStableStore extends OrderedStableStore {
  constructor(initial: StableState = EMPTY_STABLE_STATE) {
    super(normalize(initial));
  }
  protected persist(): Promise<void> {
    return Promise.resolve();
  }
}

export interface FileStableStoreOptions {
  /** Skip fsyncs (the replace stays atomic against a process crash, not a power loss). */
  nosync?: boolean;
  io?: FileIO;
  /**
   * Where a failed save is reported (besides the rejection). Default:
   * console.error. A failure with the same code as the last one is logged
   * at most once per 10 s (a node retrying on a full disk).
   */
  logger?: StorageLogger;
}

export class FileStableStore extends OrderedStableStore {
  readonly #file: string;
  readonly #io: FileIO;
  readonly #sync: boolean;
  readonly #failures: FailureReporter;
  /** Use openFileStableStore. */
  constructor(file: string, state: StableState, options: FileStableStoreOptions) {
    super(state);
    this.#failures = new FailureReporter(options.logger ?? defaultStorageLogger);
    this.#file = file;
    this.#io = options.io ?? nodeFileIO;
    this.#sync = !options.nosync;
  }
  protected async persist(state: StableState): Promise<void> {
    try {
      await writeFileAtomic(this.#io, this.#file, encodeChecked({ format: "uhaha-stable/1", ...state }), this.#sync);
    } catch (err) {
      const code = errorCode(err) || "EIO";
      const failure = new StorageFailedError(
        `saving the stable state to ${this.#file} failed with ${code} (${(err as Error)?.message ?? err}); ` +
          `the previous state is intact. ${code === "ENOSPC" ? "Free disk space" : "Check the disk"}, then retry.`,
        code,
        err,
      );
      this.#failures.report(code, failure.message);
      throw failure;
    }
  }
}

/**
 * Opens the stable state in `file` (EMPTY_STABLE_STATE if it does not exist yet).
 * Rejects with StorageCorruptError if the file is damaged.
 * @example const stable = await openFileStableStore("data/stable"); await stable.update({ currentTerm: 2 });
 */
export async function openFileStableStore(file: string, options: FileStableStoreOptions = {}): Promise<FileStableStore> {
  const io = options.io ?? nodeFileIO;
  await io.mkdirp(path.dirname(file));
  if (await io.exists(file + ".tmp")) await io.unlink(file + ".tmp");
  let state = EMPTY_STABLE_STATE;
  if (await io.exists(file)) {
    const value = decodeChecked(await io.readFile(file), file) as Record<string, unknown>;
    const problem = value.format === "uhaha-stable/1" ? stableStateProblem(value) : `unknown format ${JSON.stringify(value.format)}`;
    if (problem) {
      throw new StorageCorruptError(file, 9, `not a valid stable state: ${problem}`, "Restore it from a backup or re-add this node to the cluster with an empty data directory.");
    }
    state = normalize(value as unknown as StableState);
  }
  return new FileStableStore(file, state, options);
}
