/**
 * The consensus state machine shared by every role: terms, votes, role
 * changes and the term checks every message goes through (Raft §5.1).
 * Role-specific behaviour lives in follower.ts and leader.ts and is
 * selected by swapping `stepRole`/`tickRole` when the role changes.
 * Internal: the public API is RaftNode (raft_node.ts).
 */
import type { LogEntry } from "../log_entry.ts";
import { EntryKind } from "../log_entry.ts";
import { stepCandidate, stepFollower, tickElection } from "./follower.ts";
import { bcastAppend, stepLeader, tickHeartbeat } from "./leader.ts";
import { findMember, isVoter, voterIds } from "./membership.ts";
import type { RaftOptions } from "./options.ts";
import { Progress } from "./progress.ts";
import { voteOutcome } from "./quorum.ts";
import { RaftLog } from "./raft_log.ts";
import { ReadIndexTracker } from "./read_index.ts";
import type {
  HardState,
  MembershipConfig,
  Message,
  ReadState,
  SnapshotMeta,
  VoteMessage,
} from "./types.ts";

/** Leader-only state. */
export interface LeaderState {
  readonly kind: "leader";
  readonly progress: Map<number, Progress>;
  readonly reads: ReadIndexTracker;
  /** Read request ids that arrived before an entry of this term committed. */
  readonly waitingReads: number[];
  /** Target of a leadership transfer in progress, 0 if none. */
  transferee: number;
}

/** The role and the state that only that role has (a discriminated union). */
export type RoleState =
  | { readonly kind: "follower" }
  | { readonly kind: "preCandidate"; readonly votes: Map<number, boolean> }
  | { readonly kind: "candidate"; readonly votes: Map<number, boolean> }
  | LeaderState;

/** What a core starts from: exactly what the driver persisted. */
export interface PersistedState {
  readonly hardState: HardState;
  /** The latest snapshot; index 0 with the initial configuration to bootstrap. */
  readonly snapshot: SnapshotMeta;
  /** Log entries after the snapshot, contiguous. */
  readonly entries: readonly LogEntry[];
  /** Index the state machine has already applied (default: snapshot.index). */
  readonly applied?: number;
}

/** The protocol state machine behind RaftNode (internal). */
export class Raft {
  readonly id: number;
  readonly options: RaftOptions;
  term: number;
  vote: number;
  leaderId = 0;
  readonly log: RaftLog;
  /** The latest configuration in the log (in effect once appended, §4.1). */
  config: MembershipConfig;
  /** Voter ids of `config`, ascending (cached: used on every acknowledgement). */
  voters: number[];
  /** "index:term" of the entry (or snapshot) that `config` came from. */
  private configKey: string;
  role: RoleState = { kind: "follower" };
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  failedReads: number[] = [];
  stepRole: (r: Raft, m: Message) => void = stepFollower;
  tickRole: (r: Raft) => void = tickElection;

  constructor(options: RaftOptions, persisted: PersistedState) {
    this.id = options.id;
    this.options = options;
    const hs = persisted.hardState;
    this.log = new RaftLog(
      persisted.snapshot,
      persisted.entries,
      hs.commit,
      persisted.applied ?? persisted.snapshot.index,
    );
    this.term = hs.term;
    this.vote = hs.vote;
    this.configKey = this.currentConfigKey();
    this.config = this.log.configAt(this.log.lastIndex());
    this.voters = voterIds(this.config);
    this.becomeFollower(this.term, 0);
  }

  private currentConfigKey(): string {
    const index = this.log.lastConfigIndex() || this.log.snapshot.index;
    return `${index}:${this.log.term(index)}`;
  }

  /** Recomputes `config` if the log's last Config entry changed; returns true if so. */
  refreshConfig(force = false): boolean {
    const key = this.currentConfigKey();
    if (key === this.configKey && !force) return false;
    this.configKey = key;
    this.config = this.log.configAt(this.log.lastIndex());
    this.voters = voterIds(this.config);
    if (this.role.kind === "leader") this.syncProgress(this.role);
    return true;
  }

  /** Makes the leader's progress map match the configuration. */
  syncProgress(leader: LeaderState): void {
    const members = new Map(this.config.members.map((m) => [m.id, m]));
    for (const id of [...leader.progress.keys()]) {
      if (id !== this.id && !members.has(id)) leader.progress.delete(id);
    }
    for (const m of this.config.members) {
      const pr = leader.progress.get(m.id);
      if (pr) pr.voter = m.voter;
      else {
        leader.progress.set(
          m.id,
          new Progress(this.log.lastIndex() + 1, m.voter, this.options.maxInflightAppends),
        );
      }
    }
    let self = leader.progress.get(this.id);
    if (!self) {
      // A leader outside its latest configuration (being removed) still tracks itself.
      self = new Progress(this.log.lastIndex() + 1, false, this.options.maxInflightAppends);
      leader.progress.set(this.id, self);
    }
    self.voter = isVoter(this.config, this.id);
    if (leader.transferee !== 0 && !isVoter(this.config, leader.transferee)) leader.transferee = 0;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /**
   * True when this node may campaign: it is a voter of its latest
   * configuration, or of the committed one while a change that removes or
   * demotes it is still uncommitted — it may be needed to commit that
   * change (dissertation §4.2.2: a server not in its latest configuration
   * should still start elections until Cnew is committed). Votes are always
   * counted with the latest configuration, so its own vote may not count.
   */
  promotable(): boolean {
    if (isVoter(this.config, this.id)) return true;
    return this.log.lastConfigIndex() > this.log.committed &&
      isVoter(this.log.configAt(this.log.committed), this.id);
  }

  send(m: Message): void {
    this.msgs.push(m);
  }

  /** Entry point for every message from a peer (Raft §5.1 term rules). */
  step(m: Message): void {
    if (m.to !== this.id || !this.heeds(m)) return;
    if (m.term > this.term) {
      if (m.type === "vote" || m.type === "preVote") {
        // Disruptive servers (dissertation §4.2.3): while we hear from a
        // leader, ignore vote requests unless a transfer asked for them.
        const inLease = this.options.checkQuorum && this.leaderId !== 0 &&
          this.electionElapsed < this.options.electionTicks;
        if (!m.transfer && inLease) return;
      }
      if (m.type === "preVote") {
        // A pre-vote never changes our term.
      } else if (m.type === "preVoteResponse" && m.granted) {
        // Granted for the term we will campaign in; counted by the pre-candidate.
      } else {
        const fromLeader = m.type === "append" || m.type === "heartbeat" || m.type === "snapshot";
        this.becomeFollower(m.term, fromLeader ? m.from : 0);
      }
    } else if (m.term < this.term) {
      if (m.type === "append" || m.type === "heartbeat") {
        // Tell a stale leader about the newer term so it steps down.
        this.send({
          type: "appendResponse", from: this.id, to: m.from, term: this.term,
          reject: false, index: 0, hintIndex: 0, hintTerm: 0,
        });
      } else if (m.type === "preVote") {
        this.send({ type: "preVoteResponse", from: this.id, to: m.from, term: this.term, granted: false });
      }
      return;
    }
    if (m.type === "vote" || m.type === "preVote") {
      this.handleVoteRequest(m);
      return;
    }
    this.stepRole(this, m);
  }

  /**
   * Whether a message may change anything here. Members of the latest
   * configuration and the leader this node follows are always heard, and a
   * node outside its own latest configuration (joining: its first leader,
   * and whoever needs its vote, are members it does not know yet) hears
   * all. Anyone else (a removed node, a stray process that knows the
   * secret) is heard only by a follower or candidate that has not heard from
   * a leader for an election timeout: a member that missed the change adding
   * the current leader must still catch up from it, and vote for it. So a
   * non-member cannot raise the terms of, vote in, answer, or write the log
   * of a leader or of a node whose leader is alive.
   */
  heeds(m: Message): boolean {
    if (m.from === this.leaderId || findMember(this.config, m.from) || !findMember(this.config, this.id)) return true;
    if (this.role.kind === "leader") return false;
    return this.leaderId === 0 || this.electionElapsed >= this.options.electionTicks;
  }

  private handleVoteRequest(m: VoteMessage): void {
    const responseType = m.type === "vote" ? "voteResponse" : "preVoteResponse";
    const canVote = this.vote === m.from ||
      (this.vote === 0 && this.leaderId === 0) ||
      (m.type === "preVote" && m.term > this.term);
    // Election restriction (§5.4.1): only grant to a log at least as up to date.
    if (canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm)) {
      // A granted pre-vote carries the requested term so it is not taken as stale.
      this.send({ type: responseType, from: this.id, to: m.from, term: m.term, granted: true });
      if (m.type === "vote") {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: responseType, from: this.id, to: m.from, term: this.term, granted: false });
    }
  }

  tick(): void {
    this.tickRole(this);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = 0;
    }
    this.leaderId = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    const n = this.options.electionTicks;
    this.randomizedElectionTimeout = n + Math.floor(this.options.random() * n);
    if (this.role.kind === "leader") {
      this.failedReads.push(...this.role.reads.dropAll(), ...this.role.waitingReads);
    }
  }

  becomeFollower(term: number, leaderId: number): void {
    this.reset(term);
    this.leaderId = leaderId;
    this.role = { kind: "follower" };
    this.stepRole = stepFollower;
    this.tickRole = tickElection;
  }

  private becomePreCandidate(): void {
    // Pre-vote (dissertation §9.6): no term change, no vote recorded.
    if (this.role.kind === "leader") this.reset(this.term);
    this.leaderId = 0;
    this.role = { kind: "preCandidate", votes: new Map() };
    this.stepRole = stepCandidate;
    this.tickRole = tickElection;
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = { kind: "candidate", votes: new Map() };
    this.stepRole = stepCandidate;
    this.tickRole = tickElection;
  }

  becomeLeader(): void {
    this.reset(this.term);
    this.leaderId = this.id;
    const leader: LeaderState = {
      kind: "leader",
      progress: new Map(),
      reads: new ReadIndexTracker(),
      waitingReads: [],
      transferee: 0,
    };
    this.role = leader;
    this.stepRole = stepLeader;
    this.tickRole = tickHeartbeat;
    this.syncProgress(leader);
    const self = leader.progress.get(this.id)!;
    self.becomeReplicate();
    self.maybeUpdate(this.log.stable);
    // A no-op entry of the new term lets the leader commit what earlier
    // terms left (§5.4.2, §8) and learn the commit index for reads (§6.4).
    this.appendEntry(EntryKind.Noop, new Uint8Array(0));
    bcastAppend(this);
  }

  /** Leader: appends one entry of the current term to its own log. */
  appendEntry(kind: EntryKind, data: Uint8Array): LogEntry {
    const entry: LogEntry = { index: this.log.lastIndex() + 1, term: this.term, kind, data };
    this.log.append([entry]);
    if (kind === EntryKind.Config) this.refreshConfig();
    return entry;
  }

  /**
   * Starts an election: "preElection" runs a pre-vote round first when
   * enabled, "election" asks for real votes, "transfer" asks for real
   * votes that override leases (after TimeoutNow).
   */
  campaign(kind: "preElection" | "election" | "transfer"): void {
    if (!this.promotable()) return;
    const preVote = kind === "preElection" && this.options.preVote;
    if (preVote) this.becomePreCandidate();
    else this.becomeCandidate();
    const votes = (this.role as { votes: Map<number, boolean> }).votes;
    votes.set(this.id, true);
    const voters = this.voters;
    if (voteOutcome(voters, votes) === "won") {
      if (preVote) this.campaign("election");
      else this.becomeLeader();
      return;
    }
    const term = preVote ? this.term + 1 : this.term;
    for (const id of voters) {
      if (id === this.id) continue;
      this.send({
        type: preVote ? "preVote" : "vote",
        from: this.id, to: id, term,
        lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm(),
        transfer: kind === "transfer",
      });
    }
  }
}
