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

  constructor(app: App<D>) {
    this.app = app;
    this.data = app.initialData();
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

  /** Applies one committed payload. */
  apply(payload: Uint8Array): ApplyOutcome {
    const decoded = decodePayload(payload);
    if (decoded instanceof Error) return { type: "invalid", error: decoded };
    if (decoded.type === "tick") {
      this.timeNs = decoded.timeNs > this.timeNs ? decoded.timeNs : this.timeNs + 1n;
      if (this.bootNs === 0n) this.bootNs = this.timeNs;
      this.#rng = new Pcg32(decoded.seed);
      if (this.app.tick) {
        try {
          this.app.tick(this.#view([]));
        } catch {
          // A failing tick hook is the application's bug; it fails the same way on every replica.
        }
      }
      return { type: "tick" };
    }
    return { type: "batch", results: decoded.commands.map((args) => this.#runWrite(args)) };
  }

  #runWrite(rawArgs: readonly Uint8Array[]): ReplyValue {
    this.timeNs += 1n;
    const args = rawArgs.map((arg) => decoder.decode(arg));
    const command = lookupCommand(this.app, args[0] ?? "");
    if (command?.kind !== "write") return new Error(`unknown command '${(args[0] ?? "").toLowerCase()}'`);
    try {
      return command.run(this.#view(rawArgs), args);
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
   * application's data (JSON or its own format).
   */
  snapshot(): Uint8Array {
    const user = this.app.jsonSnapshots
      ? encoder.encode(JSON.stringify(this.data))
      : this.app.snapshot!(this.data);
    const out = new Uint8Array(8 + 24 + user.length);
    out.set(encoder.encode(SNAPSHOT_MAGIC), 0);
    const view = new DataView(out.buffer);
    view.setBigInt64(8, this.bootNs, true);
    view.setBigInt64(16, this.timeNs, true);
    view.setBigUint64(24, this.#rng.state, true);
    out.set(user, 32);
    return out;
  }

  /** Replaces the state with a snapshot's; throws a clear error if the bytes are not one. */
  restore(bytes: Uint8Array): void {
    if (bytes.length < 32 || decoder.decode(bytes.subarray(0, 8)) !== SNAPSHOT_MAGIC) {
      throw new Error(`not a machine snapshot: it does not start with ${SNAPSHOT_MAGIC}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const user = bytes.subarray(32);
    const data = this.app.jsonSnapshots ? JSON.parse(decoder.decode(user)) as D : this.app.restore!(user);
    this.bootNs = view.getBigInt64(8, true);
    this.timeNs = view.getBigInt64(16, true);
    this.#rng = new Pcg32(0n, undefined, view.getBigUint64(24, true));
    this.data = data;
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
}
