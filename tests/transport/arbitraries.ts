/** fast-check generators of Raft messages, for the transport's property tests. */
import fc from "fast-check";
import type { LogEntry } from "../../raft/log_entry.ts";
import type { Member, Message } from "../../raft/core/types.ts";

/** Mostly small numbers, sometimes anything up to 2^53 − 1. */
export const num: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(1000) },
  { weight: 1, arbitrary: fc.maxSafeNat() },
);

const id = fc.integer({ min: 1, max: 1_000_000 });

export const entry: fc.Arbitrary<LogEntry> = fc.record({
  index: num,
  term: num,
  kind: fc.constantFrom(0 as const, 1 as const, 2 as const),
  data: fc.uint8Array({ maxLength: 300 }),
});

const member: fc.Arbitrary<Member> = fc.record({
  id,
  address: fc.string({ maxLength: 40, unit: "grapheme" }),
  voter: fc.boolean(),
});

const envelope = { from: id, to: id, term: num };

/** Any message the core can send. */
export const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    type: fc.constant("append" as const),
    ...envelope,
    prevIndex: num,
    prevTerm: num,
    entries: fc.array(entry, { maxLength: 8 }),
    commit: num,
  }),
  fc.record({
    type: fc.constant("appendResponse" as const),
    ...envelope,
    reject: fc.boolean(),
    index: num,
    hintIndex: num,
    hintTerm: num,
  }),
  fc.record({
    type: fc.constantFrom("vote" as const, "preVote" as const),
    ...envelope,
    lastIndex: num,
    lastTerm: num,
    transfer: fc.boolean(),
  }),
  fc.record({
    type: fc.constantFrom("voteResponse" as const, "preVoteResponse" as const),
    ...envelope,
    granted: fc.boolean(),
  }),
  fc.record({ type: fc.constant("heartbeat" as const), ...envelope, commit: num, context: num }),
  fc.record({ type: fc.constant("heartbeatResponse" as const), ...envelope, context: num }),
  fc.record({
    type: fc.constant("snapshot" as const),
    ...envelope,
    snapshot: fc.record({
      index: num,
      term: num,
      config: fc.record({ members: fc.array(member, { maxLength: 7 }) }),
    }),
  }),
  fc.record({ type: fc.constant("timeoutNow" as const), ...envelope }),
);
