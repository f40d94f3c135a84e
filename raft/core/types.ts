/**
 * Plain data types of the consensus core: persisted state, membership,
 * messages between peers, and what the core hands to its driver.
 *
 * Messages are plain objects with a string `type` tag so the driver can
 * encode them however it likes (see raft/ transport). Node id 0 means "none".
 */
import type { LogEntry } from "../log_entry.ts";
import type { MembershipConfig } from "../membership_config.ts";

/** State that must be persisted before any message of the same Ready is sent. */
export interface HardState {
  /** Latest term this server has seen (Raft §5.1). */
  readonly term: number;
  /** Candidate voted for in `term`, 0 if none (Raft §5.2). */
  readonly vote: number;
  /** Highest index known committed; a hint that speeds up restart. */
  readonly commit: number;
}

/** The configuration types live beside log_entry.ts: storage keeps configurations too. */
export type { Member, MembershipConfig } from "../membership_config.ts";

/** Describes a snapshot: the state after applying every entry ≤ `index`. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  /** The configuration in effect at `index`. */
  readonly config: MembershipConfig;
}

/** A one-server membership change (Raft dissertation §4.1). */
export type ConfChange =
  | { readonly type: "addVoter"; readonly id: number; readonly address: string }
  | { readonly type: "addLearner"; readonly id: number; readonly address: string }
  | { readonly type: "promote"; readonly id: number }
  | { readonly type: "demote"; readonly id: number }
  | { readonly type: "remove"; readonly id: number };

interface Envelope {
  readonly from: number;
  readonly to: number;
  readonly term: number;
}

/** Leader → follower: entries after (prevIndex, prevTerm), and the commit index. */
export interface AppendMessage extends Envelope {
  readonly type: "append";
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly LogEntry[];
  readonly commit: number;
}

/**
 * Follower → leader. On success `index` is the last index known to match
 * the leader's log. On rejection `index` is the rejected prevIndex and
 * (hintIndex, hintTerm) is the follower's guess of the last index that may
 * match (fast backtracking, Raft §5.3 "the follower can include the term
 * of the conflicting entry").
 */
export interface AppendResponseMessage extends Envelope {
  readonly type: "appendResponse";
  readonly reject: boolean;
  readonly index: number;
  readonly hintIndex: number;
  readonly hintTerm: number;
}

/** A vote request; "preVote" asks without bumping anyone's term (dissertation §9.6). */
export interface VoteMessage extends Envelope {
  readonly type: "vote" | "preVote";
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** Set when campaigning because of a leadership transfer: ignore leases. */
  readonly transfer: boolean;
}

/** Answer to a (pre-)vote request. */
export interface VoteResponseMessage extends Envelope {
  readonly type: "voteResponse" | "preVoteResponse";
  readonly granted: boolean;
}

/** Leader → follower keep-alive; `context` identifies a ReadIndex round (0: none). */
export interface HeartbeatMessage extends Envelope {
  readonly type: "heartbeat";
  readonly commit: number;
  readonly context: number;
}

/** Follower → leader: echo of the heartbeat's context. */
export interface HeartbeatResponseMessage extends Envelope {
  readonly type: "heartbeatResponse";
  readonly context: number;
}

/**
 * Leader → follower: install the snapshot described here. Carries metadata
 * only; the driver streams the bytes, and steps this message into the
 * receiving core once the bytes are complete.
 */
export interface SnapshotMessage extends Envelope {
  readonly type: "snapshot";
  readonly snapshot: SnapshotMeta;
}

/** Leader → transfer target: start an election now (dissertation §3.10). */
export interface TimeoutNowMessage extends Envelope {
  readonly type: "timeoutNow";
}

/** Every message exchanged between cores. */
export type Message =
  | AppendMessage
  | AppendResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | SnapshotMessage
  | TimeoutNowMessage;

/** The `type` tag of a message. */
export type MessageType = Message["type"];

/** Why a proposal, read or change was refused. */
export type RejectReason =
  | "notLeader"
  | "transferring"
  | "configChangePending"
  | "invalidConfChange";

/** Outcome of `propose`/`proposeConfChange`: appended at (index, term), or refused. */
export type ProposeResult =
  | { readonly accepted: true; readonly index: number; readonly term: number }
  | {
    readonly accepted: false;
    readonly reason: RejectReason;
    /** The leader this node knows of (0 if none): where to redirect. */
    readonly leaderId: number;
    readonly message: string;
  };

/** Outcome of `readIndex` and `transferLeadership`: accepted, or refused with a leader hint. */
export type RequestResult =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly reason: RejectReason; readonly leaderId: number };

/** A read that became safe: serve it once the applied index reaches `index`. */
export interface ReadState {
  readonly requestId: number;
  readonly index: number;
}

/**
 * One batch of work for the driver. Process it in this order:
 * 1. persist `snapshot` (replacing the whole log), then `entries` (an entry
 *    at index i replaces any stored entry ≥ i), then `hardState`, with one
 *    fsync;
 * 2. send `messages`;
 * 3. restore the state machine from `snapshot` if present, then apply
 *    `committedEntries` in order, then serve `readStates` once applied;
 *    fail `failedReads`;
 * 4. call `advance(ready)`.
 */
export interface Ready {
  readonly hardState: HardState | undefined;
  readonly snapshot: SnapshotMeta | undefined;
  readonly entries: readonly LogEntry[];
  readonly messages: readonly Message[];
  readonly committedEntries: readonly LogEntry[];
  readonly readStates: readonly ReadState[];
  /** Read requests dropped because this node stopped being leader: retry elsewhere. */
  readonly failedReads: readonly number[];
}

/** Role of a core. */
export type RoleKind = "follower" | "preCandidate" | "candidate" | "leader";

/** Replication state of one peer, as the leader sees it (for status display). */
export interface PeerProgress {
  readonly id: number;
  readonly voter: boolean;
  readonly match: number;
  readonly next: number;
  readonly state: "probe" | "replicate" | "snapshot";
  readonly inflight: number;
  readonly recentActive: boolean;
}
