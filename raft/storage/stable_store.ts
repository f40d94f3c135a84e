/**
 * Raft's stable state: current term, vote, this node's id and the cluster
 * configuration. Small, rewritten whole and atomically on every change
 * (temp file, fsync, rename, fsync of the directory).
 */
import * as path from "node:path";
import { copyMembershipConfig, isNodeId, type MembershipConfig, membershipConfigProblem } from "../membership_config.ts";
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

export interface StableState {
  /** Latest term this node has seen (0 for a new node). */
  readonly currentTerm: number;
  /** The node voted for in currentTerm, or null. */
  readonly votedFor: number | null;
  /** This node's id once it belongs to a cluster, or null. */
  readonly nodeId: number | null;
  /** The cluster configuration, or null when none. */
  readonly config: MembershipConfig | null;
}

export const EMPTY_STABLE_STATE: StableState = Object.freeze({ currentTerm: 0, votedFor: null, nodeId: null, config: null });

/** Fields to change. */
export type StableStatePatch = Partial<StableState>;

export interface StableStore {
  /** The last saved state (EMPTY_STABLE_STATE for a new node). */
  get(): StableState;
  /** Replaces the state; durable (and visible to get()) when the promise resolves. Saves run in call order. */
  save(state: StableState): Promise<void>;
  /** save({...get(), ...patch}) as of when it runs. */
  update(patch: StableStatePatch): Promise<void>;
  close(): Promise<void>;
}

/** A node id as decimal text ("7"), or undefined when `text` is none. */
function idFromText(text: unknown): number | undefined {
  return typeof text === "string" && /^[1-9][0-9]*$/.test(text) && isNodeId(Number(text)) ? Number(text) : undefined;
}

/**
 * `state` (a StableState; a format-1 file's nodeId as text) validated, frozen
 * and detached from the caller (the config is copied); or what is wrong.
 */
function parseStableState(state: unknown): StableState | string {
  if (typeof state !== "object" || state === null) return "state must be an object";
  const { currentTerm, votedFor, nodeId, config } = state as Record<string, unknown>;
  if (!Number.isSafeInteger(currentTerm) || (currentTerm as number) < 0) return `currentTerm must be a non-negative integer, got ${currentTerm}`;
  if (votedFor !== null && !isNodeId(votedFor)) return `votedFor must be a node id (an integer ≥ 1) or null, got ${JSON.stringify(votedFor)}`;
  const id = nodeId === null || isNodeId(nodeId) ? nodeId : idFromText(nodeId);
  if (id === undefined) return `nodeId must be a node id (an integer ≥ 1) or null, got ${JSON.stringify(nodeId)}`;
  const configProblem = config === null ? null : membershipConfigProblem(config);
  if (configProblem) return `config: ${configProblem}`;
  return Object.freeze({
    currentTerm: currentTerm as number,
    votedFor,
    nodeId: id,
    config: config === null ? null : copyMembershipConfig(config as MembershipConfig),
  });
}

/** parseStableState for what the API is given: a bad state is a TypeError. */
function normalize(state: StableStatePatch): StableState {
  const parsed = parseStableState(state);
  if (typeof parsed === "string") throw new TypeError(`invalid stable state: ${parsed}`);
  return parsed;
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
  update(patch: StableStatePatch): Promise<void> {
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

/**
 * The file's format. Format 2 holds every id as a number; format 1, which
 * earlier versions wrote, held votedFor and nodeId as decimal text. Both
 * are read, so a data directory of an earlier version still opens.
 */
const STABLE_FORMAT = "uhaha-stable/2";
const STABLE_FORMAT_TEXT_IDS = "uhaha-stable/1";

function encodeStableFile(state: StableState): Uint8Array {
  return encodeChecked({ format: STABLE_FORMAT, currentTerm: state.currentTerm, votedFor: state.votedFor, nodeId: state.nodeId, config: state.config });
}

/** The state a decoded stable file holds, or what is wrong with it. */
function stateFromFile(decoded: unknown): StableState | string {
  if (typeof decoded !== "object" || decoded === null) return "not a JSON object";
  const value = decoded as Record<string, unknown>;
  let state: Record<string, unknown>;
  if (value.format === STABLE_FORMAT) {
    state = value;
  } else if (value.format === STABLE_FORMAT_TEXT_IDS) {
    if (value.votedFor !== null && idFromText(value.votedFor) === undefined) {
      return `votedFor must be a node id as text or null, got ${JSON.stringify(value.votedFor)}`;
    }
    state = { ...value, votedFor: value.votedFor === null ? null : idFromText(value.votedFor) };
  } else {
    return `unknown format ${JSON.stringify(value.format)}`;
  }
  return parseStableState(state);
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
      await writeFileAtomic(this.#io, this.#file, encodeStableFile(state), this.#sync);
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
 * Opens the stable state in `file` (EMPTY_STABLE_STATE if it does not exist
 * yet), also one written in format 1. Rejects with StorageCorruptError if
 * the file is damaged.
 * @example const stable = await openFileStableStore("data/stable"); await stable.update({ currentTerm: 2 });
 */
export async function openFileStableStore(file: string, options: FileStableStoreOptions = {}): Promise<FileStableStore> {
  const io = options.io ?? nodeFileIO;
  await io.mkdirp(path.dirname(file));
  if (await io.exists(file + ".tmp")) await io.unlink(file + ".tmp");
  let state = EMPTY_STABLE_STATE;
  if (await io.exists(file)) {
    const read = stateFromFile(decodeChecked(await io.readFile(file), file));
    if (typeof read === "string") {
      throw new StorageCorruptError(file, 9, `not a valid stable state: ${read}`, "Restore it from a backup or re-add this node to the cluster with an empty data directory.");
    }
    state = read;
  }
  return new FileStableStore(file, state, options);
}
