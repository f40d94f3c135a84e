/**
 * Register clients: each issues one operation at a time (write of a unique
 * value, or a ReadIndex read) and records the history for the
 * linearizability checker. A write whose fate the client cannot know (its
 * server crashed, or the run ended first) is recorded with an unknown end.
 */
import type { LogEntry } from "../../raft/log_entry.ts";
import type { RegisterOp } from "./linearizability.ts";
import { encodeValue, type SimServer } from "./server.ts";

interface Pending {
  readonly client: string;
  readonly kind: "write" | "read";
  readonly server: SimServer;
  readonly incarnation: number;
  readonly invokedAt: number;
  readonly value: number;
  readonly index: number;
  readonly term: number;
  readonly requestId: number;
  /** Simulated time of the call, for timeouts. */
  readonly startedAt: number;
}

export class RegisterClients {
  readonly history: RegisterOp[] = [];
  /** Operations started (accepted by a leader), for stats. */
  started = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly idle: Set<string>;
  private nextValue = 1;
  private nextRequestId = 1;
  private clock = 0;
  /** Last leader hint learned from a refusal. */
  leaderHint = 0;

  constructor(count: number) {
    this.idle = new Set(Array.from({ length: count }, (_, i) => `c${i + 1}`));
  }

  /** Values of writes that completed successfully. */
  readonly completedWrites = new Set<number>();
  /** Request ids of reads that returned. */
  readonly completedReads = new Set<number>();

  /** A strictly increasing logical time for invocations and returns. */
  private now(): number {
    return ++this.clock;
  }

  /** An idle client among `names` (any when omitted), or undefined. */
  idleClient(names?: readonly string[]): string | undefined {
    for (const c of this.idle) if (!names || names.includes(c)) return c;
    if (names) for (const c of names) if (!this.pending.has(c) && !this.idle.has(c)) return c;
    return undefined;
  }

  /** Starts a write by `client` on `server`. */
  write(server: SimServer, client: string, now: number): { line: string; value: number; index: number } {
    const core = server.core!;
    const value = this.nextValue++;
    const invokedAt = this.now();
    const result = core.propose(encodeValue(value));
    if (!result.accepted) {
      this.leaderHint = result.leaderId;
      return {
        line: `${client} write(${value}) at ${server.id}: refused (${result.reason}, leader ${result.leaderId})`,
        value: 0,
        index: 0,
      };
    }
    this.idle.delete(client);
    this.started++;
    this.pending.set(client, {
      client, kind: "write", server, incarnation: server.incarnation, invokedAt, value,
      index: result.index, term: result.term, requestId: 0, startedAt: now,
    });
    return {
      line: `${client} write(${value}) at ${server.id}: appended at ${result.index}/${result.term}`,
      value,
      index: result.index,
    };
  }

  /** Starts a ReadIndex read by `client` on `server`. */
  read(server: SimServer, client: string, now: number): { line: string; requestId: number } {
    const core = server.core!;
    const requestId = this.nextRequestId++;
    const invokedAt = this.now();
    const result = core.readIndex(requestId);
    if (!result.accepted) {
      this.leaderHint = result.leaderId;
      return { line: `${client} read#${requestId} at ${server.id}: refused (leader ${result.leaderId})`, requestId: 0 };
    }
    this.idle.delete(client);
    this.started++;
    this.pending.set(client, {
      client, kind: "read", server, incarnation: server.incarnation, invokedAt, value: 0,
      index: 0, term: 0, requestId, startedAt: now,
    });
    return { line: `${client} read#${requestId} at ${server.id}: waiting for a heartbeat round`, requestId };
  }

  private finish(p: Pending, op: RegisterOp | undefined): void {
    this.pending.delete(p.client);
    this.idle.add(p.client);
    if (op) this.history.push(op);
    if (op?.kind === "write" && op.returnedAt !== Infinity) this.completedWrites.add(op.value);
    if (op?.kind === "read") this.completedReads.add(p.requestId);
  }

  /** `server` applied `entry`: completes or fails the write appended there. */
  onApplied(server: SimServer, entry: LogEntry): string | undefined {
    for (const p of this.pending.values()) {
      if (p.kind !== "write" || p.server !== server || p.incarnation !== server.incarnation) continue;
      if (p.index !== entry.index) continue;
      if (entry.term === p.term) {
        this.finish(p, { kind: "write", value: p.value, invokedAt: p.invokedAt, returnedAt: this.now(), client: p.client });
        return `${p.client} write(${p.value}) ok`;
      }
      // Another entry was committed at that index: ours never will be.
      this.finish(p, undefined);
      return `${p.client} write(${p.value}) failed (index ${p.index} taken by term ${entry.term})`;
    }
    return undefined;
  }

  onReadServed(server: SimServer, requestId: number, value: number): string | undefined {
    for (const p of this.pending.values()) {
      if (p.kind !== "read" || p.server !== server || p.requestId !== requestId) continue;
      if (p.incarnation !== server.incarnation) continue;
      this.finish(p, { kind: "read", value, invokedAt: p.invokedAt, returnedAt: this.now(), client: p.client });
      return `${p.client} read#${requestId} → ${value}`;
    }
    return undefined;
  }

  onReadFailed(server: SimServer, requestId: number): void {
    for (const p of this.pending.values()) {
      if (p.kind === "read" && p.server === server && p.requestId === requestId) this.finish(p, undefined);
    }
  }

  /**
   * Operations on servers that lost their state (crash, snapshot past the
   * index) or still pending at the end: writes become unknown, reads vanish.
   */
  abandon(
    filter: (p: { server: SimServer; incarnation: number; index: number; startedAt: number }) => boolean,
  ): void {
    for (const p of [...this.pending.values()]) {
      if (!filter(p)) continue;
      this.finish(
        p,
        p.kind === "write"
          ? { kind: "write", value: p.value, invokedAt: p.invokedAt, returnedAt: Infinity, client: p.client }
          : undefined,
      );
    }
  }
}
