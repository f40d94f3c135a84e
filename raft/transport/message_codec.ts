/**
 * Binary encoding of the consensus core's messages. Pure: bytes in, values
 * out, no I/O, no Node Buffer.
 *
 * A batch (the payload of one MESSAGES frame):
 *
 *   batch   = version u8 (= 1) | count varint | message × count
 *   message = tag u8 | from varint | to varint | term varint | body
 *
 * Bodies by tag (all numbers varints, flags one byte 0/1):
 *
 *   1 append            prevIndex prevTerm commit n (index term kind:u8 data:bytes) × n
 *   2 appendResponse    reject:flag index hintIndex hintTerm
 *   3 vote, 4 preVote   lastIndex lastTerm transfer:flag
 *   5 voteResponse, 6 preVoteResponse   granted:flag
 *   7 heartbeat         commit context
 *   8 heartbeatResponse context
 *   9 snapshot          index term m (id address:string voter:flag) × m
 *  10 timeoutNow        (empty)
 *
 * `bytes`/`string` are a varint length followed by the bytes (UTF-8 for
 * strings). Decoding never throws: bad input gives `{ ok: false, error }`.
 */
import { ByteReader, ByteWriter, copyBytes, type Decoded, decodeWith, WireFormatError } from "./byte_io.ts";
import { EntryKind, type LogEntry } from "../log_entry.ts";
import type { Member, Message, MessageType, SnapshotMessage } from "../core/types.ts";

/** Version byte at the start of every encoded batch. */
export const MESSAGE_CODEC_VERSION = 1;

const TAG_OF: { readonly [K in MessageType]: number } = {
  append: 1,
  appendResponse: 2,
  vote: 3,
  preVote: 4,
  voteResponse: 5,
  preVoteResponse: 6,
  heartbeat: 7,
  heartbeatResponse: 8,
  snapshot: 9,
  timeoutNow: 10,
};

const TYPE_OF: readonly (MessageType | undefined)[] = (() => {
  const table: (MessageType | undefined)[] = [];
  for (const [type, tag] of Object.entries(TAG_OF)) table[tag] = type as MessageType;
  return table;
})();

const ENTRY_KINDS: ReadonlySet<number> = new Set(Object.values(EntryKind));

/** Smallest encoding of one entry (index, term, kind, empty data). */
const MIN_ENTRY_BYTES = 4;
/** Smallest encoding of one member (id, empty address, voter). */
const MIN_MEMBER_BYTES = 3;
/** Smallest encoding of one message (tag, from, to, term). */
const MIN_MESSAGE_BYTES = 4;

/**
 * Appends one message to `w`.
 * @throws RangeError when a number field is not a non-negative safe integer
 */
export function writeMessage(w: ByteWriter, m: Message): void {
  w.u8(TAG_OF[m.type]);
  w.varint(m.from, "from");
  w.varint(m.to, "to");
  w.varint(m.term, "term");
  switch (m.type) {
    case "append":
      w.varint(m.prevIndex, "prevIndex");
      w.varint(m.prevTerm, "prevTerm");
      w.varint(m.commit, "commit");
      w.varint(m.entries.length, "entry count");
      for (const e of m.entries) {
        w.varint(e.index, "entry index");
        w.varint(e.term, "entry term");
        w.u8(e.kind);
        w.bytes(e.data);
      }
      return;
    case "appendResponse":
      w.bool(m.reject);
      w.varint(m.index, "index");
      w.varint(m.hintIndex, "hintIndex");
      w.varint(m.hintTerm, "hintTerm");
      return;
    case "vote":
    case "preVote":
      w.varint(m.lastIndex, "lastIndex");
      w.varint(m.lastTerm, "lastTerm");
      w.bool(m.transfer);
      return;
    case "voteResponse":
    case "preVoteResponse":
      w.bool(m.granted);
      return;
    case "heartbeat":
      w.varint(m.commit, "commit");
      w.varint(m.context, "context");
      return;
    case "heartbeatResponse":
      w.varint(m.context, "context");
      return;
    case "snapshot":
      w.varint(m.snapshot.index, "snapshot index");
      w.varint(m.snapshot.term, "snapshot term");
      w.varint(m.snapshot.config.members.length, "member count");
      for (const member of m.snapshot.config.members) {
        w.varint(member.id, "member id");
        w.string(member.address);
        w.bool(member.voter);
      }
      return;
    case "timeoutNow":
      return;
    default: {
      const never: never = m;
      throw new RangeError(`Cannot encode message of unknown type ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Encodes messages as one versioned batch.
 * @param messages any number of messages, to any peers
 * @returns the batch bytes (the payload of a MESSAGES frame)
 * @throws RangeError when a number field is not a non-negative safe integer
 * @example
 * ```ts
 * const bytes = encodeMessages([{ type: "timeoutNow", from: 1, to: 2, term: 3 }]);
 * decodeMessages(bytes); // { ok: true, value: [{ type: "timeoutNow", from: 1, to: 2, term: 3 }] }
 * ```
 */
export function encodeMessages(messages: readonly Message[]): Uint8Array {
  const w = new ByteWriter(64 + messages.length * 32);
  w.u8(MESSAGE_CODEC_VERSION);
  w.varint(messages.length, "message count");
  for (const m of messages) writeMessage(w, m);
  return w.finish();
}

/** Reads a count and checks it cannot describe more items than bytes remain. */
function readCount(r: ByteReader, what: string, minItemBytes: number): number {
  const n = r.varint(`${what} count`);
  if (n * minItemBytes > r.remaining) {
    throw new WireFormatError(`${what} count ${n} is more than the ${r.remaining} remaining byte(s) can hold`);
  }
  return n;
}

function readEntry(r: ByteReader): LogEntry {
  const index = r.varint("entry index");
  const term = r.varint("entry term");
  const kind = r.u8("entry kind");
  if (!ENTRY_KINDS.has(kind)) throw new WireFormatError(`unknown entry kind ${kind}`);
  const data = r.bytes("entry data");
  return { index, term, kind: kind as EntryKind, data };
}

function readMember(r: ByteReader): Member {
  const id = r.varint("member id");
  const address = r.string("member address");
  const voter = r.bool("member voter flag");
  return { id, address, voter };
}

/** Reads one message (throws WireFormatError on bad input). */
export function readMessage(r: ByteReader): Message {
  const tag = r.u8("message tag");
  const type = TYPE_OF[tag];
  if (type === undefined) throw new WireFormatError(`unknown message tag ${tag}`);
  const from = r.varint("from");
  const to = r.varint("to");
  const term = r.varint("term");
  switch (type) {
    case "append": {
      const prevIndex = r.varint("prevIndex");
      const prevTerm = r.varint("prevTerm");
      const commit = r.varint("commit");
      const n = readCount(r, "entry", MIN_ENTRY_BYTES);
      const entries: LogEntry[] = [];
      for (let i = 0; i < n; i++) entries.push(readEntry(r));
      return { type, from, to, term, prevIndex, prevTerm, commit, entries };
    }
    case "appendResponse": {
      const reject = r.bool("reject flag");
      return { type, from, to, term, reject, index: r.varint("index"), hintIndex: r.varint("hintIndex"), hintTerm: r.varint("hintTerm") };
    }
    case "vote":
    case "preVote":
      return { type, from, to, term, lastIndex: r.varint("lastIndex"), lastTerm: r.varint("lastTerm"), transfer: r.bool("transfer flag") };
    case "voteResponse":
    case "preVoteResponse":
      return { type, from, to, term, granted: r.bool("granted flag") };
    case "heartbeat":
      return { type, from, to, term, commit: r.varint("commit"), context: r.varint("context") };
    case "heartbeatResponse":
      return { type, from, to, term, context: r.varint("context") };
    case "snapshot": {
      const index = r.varint("snapshot index");
      const snapTerm = r.varint("snapshot term");
      const n = readCount(r, "member", MIN_MEMBER_BYTES);
      const members: Member[] = [];
      for (let i = 0; i < n; i++) members.push(readMember(r));
      return { type, from, to, term, snapshot: { index, term: snapTerm, config: { members } } };
    }
    case "timeoutNow":
      return { type, from, to, term };
    default: {
      const never: never = type;
      throw new WireFormatError(`unhandled message type ${never}`);
    }
  }
}

/**
 * Decodes a batch made by `encodeMessages`. The batch is copied once, and
 * entry data are views into that private copy, so the caller may reuse
 * `bytes` (one copy per batch is much cheaper than one per entry).
 * @returns the messages, or an error value saying what is wrong and where
 */
export function decodeMessages(bytes: Uint8Array): Decoded<Message[]> {
  return decodeWith("bad message batch", copyBytes(bytes), (r) => {
    const version = r.u8("codec version");
    if (version !== MESSAGE_CODEC_VERSION) {
      throw new WireFormatError(`codec version ${version} is not supported (this node speaks ${MESSAGE_CODEC_VERSION})`);
    }
    const n = readCount(r, "message", MIN_MESSAGE_BYTES);
    const messages: Message[] = [];
    for (let i = 0; i < n; i++) messages.push(readMessage(r));
    r.end("the last message");
    return messages;
  });
}

/** Encodes a snapshot message alone (the payload of a SNAPSHOT_BEGIN frame). */
export function encodeSnapshotMessage(message: SnapshotMessage): Uint8Array {
  return encodeMessages([message]);
}

/** Decodes a SNAPSHOT_BEGIN payload: exactly one message, of type "snapshot". */
export function decodeSnapshotMessage(bytes: Uint8Array): Decoded<SnapshotMessage> {
  const decoded = decodeMessages(bytes);
  if (!decoded.ok) return decoded;
  const [first] = decoded.value;
  if (decoded.value.length !== 1 || first.type !== "snapshot") {
    return { ok: false, error: "bad snapshot header: expected exactly one snapshot message" };
  }
  return { ok: true, value: first };
}
