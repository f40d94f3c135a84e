/**
 * The replicated state machine: applies committed log payloads to the
 * application's data with deterministic time and randomness, and turns the
 * whole state into snapshot bytes and back. No I/O.
 *
 * Determinism: everything here depends only on the log. A command's error
 * (thrown) becomes its result — the same on every replica — and never stops
 * the apply loop.
 */
import { asError } from "../api/errors.ts";
import type { App, Command, Machine, Rand } from "../api/app.ts";
import { decodePayload } from "./log_payload.ts";
import { Pcg32 } from "./pcg.ts";
import type { ReplyValue } from "../api/reply.ts";
import { KvStore } from "../store/kv_store.ts";
import { storeOf, SyncKv } from "../store/sync_kv.ts";
import { formatVersionstamp } from "../store/versionstamp.ts";
import { concat, joinStoreSnapshot, KvSnapshotSplitter } from "./kv_snapshot.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const SNAPSHOT_MAGIC = "SNAP0001";

/** What applying one payload produced. */
export type ApplyOutcome =
  | { readonly type: "batch"; readonly results: ReplyValue[] }
  | { readonly type: "tick" }
  | { readonly type: "invalid"; readonly error: Error };

export function lookupCommand<D>(app: App<D>, name: string): Command<D> | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(app.commands, key) ? app.commands[key] : app.commands["*"];
}

/** Errors thrown by commands become results; non-Errors are wrapped. */

export class ReplicatedMachine<D> {
  readonly app: App<D>;
  data: D;
  /** Machine time, unix ns; 0 until the first TICK. */
  timeNs = 0n;
  /** Machine time of the first TICK ever applied (MACHINE's boottime). */
  bootNs = 0n;
  #rng = new Pcg32(0n);
  readonly #rand: Rand;
  /** The app's store (`kv: true`), written only while a write command or the tick hook runs. */
  readonly kv: SyncKv | undefined;
  #writing = false;
  /** Log index of the entry being applied, and how many store commits it has made: its versionstamps. */
  #entryIndex = 0;
  #commitsInEntry = 0;

  constructor(app: App<D>) {
    this.app = app;
    this.data = app.initialData();
    this.kv = app.kv
      ? new SyncKv(new KvStore(), {
        nextVersionstamp: () => formatVersionstamp(this.#entryIndex, this.#commitsInEntry++),
        checkWritable: () => {
          if (!this.#writing) throw new Error("a read command cannot write to the store: KV writes belong in write commands");
        },
      })
      : undefined;
    const rng = () => this.#rng;
    this.#rand = {
      uint32: () => rng().uint32(),
      uint64: () => rng().uint64(),
      int: () => rng().int(),
      intn: (n) => rng().intn(n),
      float64: () => rng().float64(),
      bytes: (length) => rng().bytes(length),
      uuid: () => rng().uuid(),
    };
  }

  /** True once a TICK has been applied: before that the machine has no time. */
  get ticked(): boolean {
    return this.bootNs !== 0n;
  }

  /**
   * Applies one committed payload, the entry at log index `index` (the
   * store's versionstamps derive from it: a kv app must give it).
   */
  apply(payload: Uint8Array, index = 0): ApplyOutcome {
    if (this.kv && index <= 0) throw new Error("a kv app's entries are applied with their log index");
    this.#entryIndex = index;
    this.#commitsInEntry = 0;
    const decoded = decodePayload(payload);
    if (decoded instanceof Error) return { type: "invalid", error: decoded };
    if (decoded.type === "tick") {
      this.#setTime(decoded.timeNs > this.timeNs ? decoded.timeNs : this.timeNs + 1n);
      if (this.bootNs === 0n) this.bootNs = this.timeNs;
      this.#rng = new Pcg32(decoded.seed);
      if (this.app.tick) {
        try {
          this.#asWriter(() => this.app.tick!(this.#view([])));
        } catch {
          // A failing tick hook is the application's bug; it fails the same way on every replica.
        }
      }
      return { type: "tick" };
    }
    return { type: "batch", results: decoded.commands.map((args) => this.#runWrite(args)) };
  }

  /** Moves machine time; the store purges what expired by then, at this same log position on every replica. */
  #setTime(timeNs: bigint): void {
    this.timeNs = timeNs;
    if (this.kv) storeOf(this.kv).now = Number(timeNs / 1_000_000n);
  }

  #asWriter<T>(run: () => T): T {
    this.#writing = true;
    try {
      return run();
    } finally {
      this.#writing = false;
    }
  }

  #runWrite(rawArgs: readonly Uint8Array[]): ReplyValue {
    this.#setTime(this.timeNs + 1n);
    const args = rawArgs.map((arg) => decoder.decode(arg));
    const command = lookupCommand(this.app, args[0] ?? "");
    if (command?.kind !== "write") return new Error(`unknown command '${(args[0] ?? "").toLowerCase()}'`);
    try {
      return this.#asWriter(() => command.run(this.#view(rawArgs), args));
    } catch (error) {
      return asError(error);
    }
  }

  /** Runs a read command against the current state. */
  read(rawArgs: readonly Uint8Array[]): ReplyValue {
    const args = rawArgs.map((arg) => decoder.decode(arg));
    const command = lookupCommand(this.app, args[0] ?? "");
    if (command?.kind !== "read") return new Error(`'${args[0]}' is not a read command`);
    try {
      return command.run(this.#view(rawArgs), args);
    } catch (error) {
      return asError(error);
    }
  }

  #view(rawArgs: readonly Uint8Array[]): Machine<D> {
    return new MachineView(this, this.#rand, rawArgs);
  }

  /**
   * The whole state as bytes, in uhaha's layout: "SNAP0001", boot time ns,
   * machine time ns, random state (three little-endian int64), then the
   * application's data (JSON or its own format) — for a kv app followed by
   * its store (see kv_snapshot.ts). In chunks, all taken now: a big store
   * never becomes one buffer.
   */
  snapshotChunks(): Uint8Array[] {
    const user = this.app.jsonSnapshots
      ? encoder.encode(JSON.stringify(this.data))
      : this.app.snapshot!(this.data);
    const header = new Uint8Array(32);
    header.set(encoder.encode(SNAPSHOT_MAGIC), 0);
    const view = new DataView(header.buffer);
    view.setBigInt64(8, this.bootNs, true);
    view.setBigInt64(16, this.timeNs, true);
    view.setBigUint64(24, this.#rng.state, true);
    return this.kv ? [header, ...joinStoreSnapshot(user, storeOf(this.kv))] : [header, user];
  }

  /** snapshotChunks() as one buffer. */
  snapshot(): Uint8Array {
    return concat(this.snapshotChunks());
  }

  /** Replaces the state with a snapshot's; throws a clear error if the bytes are not one. */
  restore(bytes: Uint8Array): void {
    const split = new KvSnapshotSplitter();
    split.push(bytes.subarray(Math.min(32, bytes.length)));
    this.#install(bytes.subarray(0, 32), split);
  }

  /**
   * restore() from the snapshot's bytes as a stream: a kv app's store is
   * read entry by entry into a new store on the side, never whole, and the
   * state changes only once all of it is read.
   */
  async restoreChunks(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    let header = new Uint8Array(0);
    const split = new KvSnapshotSplitter();
    for await (const chunk of chunks) {
      let rest = chunk;
      if (header.length < 32) {
        const take = Math.min(32 - header.length, rest.length);
        const grown = new Uint8Array(header.length + take);
        grown.set(header);
        grown.set(rest.subarray(0, take), header.length);
        header = grown;
        rest = rest.subarray(take);
      }
      if (rest.length > 0) split.push(rest);
    }
    this.#install(header, split);
  }

  #install(header: Uint8Array, split: KvSnapshotSplitter): void {
    if (header.length < 32 || decoder.decode(header.subarray(0, 8)) !== SNAPSHOT_MAGIC) {
      throw new Error(`not a machine snapshot: it does not start with ${SNAPSHOT_MAGIC}`);
    }
    const { appData, store } = split.finish();
    if (store && !this.kv) throw new Error("the snapshot holds a KV store: the app needs kv: true to restore it");
    const data = this.app.jsonSnapshots ? JSON.parse(decoder.decode(appData)) as D : this.app.restore!(appData);
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    this.bootNs = view.getBigInt64(8, true);
    this.#rng = new Pcg32(0n, undefined, view.getBigUint64(24, true));
    this.data = data;
    if (this.kv) storeOf(this.kv).replaceWith(store ?? new KvStore());
    this.#setTime(view.getBigInt64(16, true));
  }
}

/**
 * What one command sees of the machine. A class, not an object literal with
 * closures: one is made per command, and the closures cost a visible share
 * of a read's time.
 */
class MachineView<D> implements Machine<D> {
  readonly #machine: ReplicatedMachine<D>;
  readonly rand: Rand;
  readonly rawArgs: readonly Uint8Array[];

  constructor(machine: ReplicatedMachine<D>, rand: Rand, rawArgs: readonly Uint8Array[]) {
    this.#machine = machine;
    this.rand = rand;
    this.rawArgs = rawArgs;
  }

  get data(): D {
    return this.#machine.data;
  }

  set data(value: D) {
    this.#machine.data = value;
  }

  now(): bigint {
    return this.#machine.timeNs;
  }

  get kv(): SyncKv {
    const kv = this.#machine.kv;
    if (!kv) throw new Error("this app has no store: add kv: true to its App to use m.kv");
    return kv;
  }
}
