/** The client-visible bytes of every Raft error, and the leader redirect of a command, without a node. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { leaderRedirect, toClientError } from "../../commands/client_errors.ts";
import type { NodeContext } from "../../commands/node_context.ts";
import { LeadershipTransferError, NotLeaderError, OutcomeUnknownError, refusalError, ShutdownError, WriteDroppedError } from "../../raft/errors.ts";
import { encodeReply } from "../../server/resp_writer.ts";

const wire = (error: Error) => new TextDecoder().decode(encodeReply(error));

test("each Raft error becomes exactly the reply clients have always been sent", () => {
  const cases: [string, unknown, boolean, string][] = [
    ["known leader", new NotLeaderError(2, "10.0.0.2:11001"), false, "-MOVED 0 10.0.0.2:11001\r\n"],
    ["known leader, --try-errors", new NotLeaderError(2, "10.0.0.2:11001"), true, "-TRY 10.0.0.2:11001\r\n"],
    ["join hint, no leader id", new NotLeaderError(0, "10.0.0.9:11001"), false, "-MOVED 0 10.0.0.9:11001\r\n"],
    ["no leader known", new NotLeaderError(0, undefined), false, "-CLUSTERDOWN node is not the leader\r\n"],
    ["no leader known, --try-errors", new NotLeaderError(0, undefined), true, "-CLUSTERDOWN node is not the leader\r\n"],
    [
      "outcome unknown",
      new OutcomeUnknownError("leadership lost"),
      false,
      "-TRYAGAIN write outcome unknown: leadership lost; it may or may not have been applied\r\n",
    ],
    [
      "write dropped",
      new WriteDroppedError(42),
      false,
      "-TRYAGAIN write not applied: log slot 42 was taken by a new leader; safe to retry\r\n",
    ],
    ["shutting down", new ShutdownError(), false, "-SHUTDOWN node is shutting down\r\n"],
    [
      "a leadership transfer under way",
      refusalError("transferring", "leadership is being transferred to 2"),
      false,
      "-TRYAGAIN leadership is being transferred to 2; retry shortly\r\n",
    ],
    ["another refusal keeps its message", refusalError("configChangePending", "another membership change is not committed yet"), false, "-ERR another membership change is not committed yet\r\n"],
    ["another error keeps its message", new Error("cannot transfer: busy"), false, "-ERR cannot transfer: busy\r\n"],
    ["a thrown string", "odd", false, "-ERR odd\r\n"],
  ];
  for (const [name, error, tryErrors, bytes] of cases) assert.equal(wire(toClientError(error, { tryErrors })), bytes, name);
});

test("the Raft errors carry their data and no protocol text", () => {
  const notLeader = new NotLeaderError(3, "h:1");
  assert.deepEqual([notLeader.leaderId, notLeader.leaderAddress], [3, "h:1"]);
  assert.equal(new OutcomeUnknownError("timed out").reason, "timed out");
  assert.ok(refusalError("transferring", "x") instanceof LeadershipTransferError);
  assert.ok(!(refusalError("invalidConfChange", "x") instanceof LeadershipTransferError));
  assert.equal(new WriteDroppedError(7).index, 7);
  for (const error of [notLeader, new NotLeaderError(0, undefined), new OutcomeUnknownError("x"), new WriteDroppedError(1), new ShutdownError()]) {
    assert.doesNotMatch(error.message, /^(MOVED|TRY|TRYAGAIN|CLUSTERDOWN|SHUTDOWN)\b/, error.name);
  }
});

test("leaderRedirect: none on the leader; MOVED, TRY or CLUSTERDOWN elsewhere", () => {
  const node = (role: string, leaderId: number, address: string | undefined, tryErrors = false) =>
    ({ tryErrors, driver: { status: { role, leaderId }, leaderAddress: () => address } }) as unknown as NodeContext;
  assert.equal(leaderRedirect(node("leader", 1, "a:1")), undefined);
  assert.equal(leaderRedirect(node("follower", 1, "a:1"))?.message, "MOVED 0 a:1");
  assert.equal(leaderRedirect(node("follower", 1, "a:1", true))?.message, "TRY a:1");
  assert.equal(leaderRedirect(node("candidate", 0, undefined))?.message, "CLUSTERDOWN node is not the leader");
});
