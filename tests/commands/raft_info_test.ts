/** RAFT INFO's key selection and the Go-style durations of last_contact, without a node. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { selectRaftInfo, UHAHA_RAFT_INFO_KEYS } from "../../commands/raft_commands.ts";
import { goDuration, parseGoDuration } from "../../api/go_duration.ts";
import { encodeReply } from "../../server/resp_writer.ts";

const info: Record<string, string> = Object.fromEntries([...UHAHA_RAFT_INFO_KEYS, "leader_id"].map((key) => [key, `v_${key}`]));

test("uhaha's 22 RAFT INFO keys, in its order", () => {
  assert.equal(UHAHA_RAFT_INFO_KEYS.length, 22);
  assert.deepEqual([...UHAHA_RAFT_INFO_KEYS], [...UHAHA_RAFT_INFO_KEYS].sort(), "uhaha writes the map sorted");
});

test("without patterns: exactly uhaha's keys, ours left out", () => {
  assert.deepEqual(Object.keys(selectRaftInfo(info, [])), [...UHAHA_RAFT_INFO_KEYS]);
});

test("with patterns: every key one matches, ours too", () => {
  assert.deepEqual(selectRaftInfo(info, ["leader_id"]), { leader_id: "v_leader_id" });
  assert.deepEqual(Object.keys(selectRaftInfo(info, ["*_version_m*"])), [
    "protocol_version_max",
    "protocol_version_min",
    "snapshot_version_max",
    "snapshot_version_min",
  ]);
  assert.deepEqual(Object.keys(selectRaftInfo(info, ["state", "term"])), ["state", "term"]);
  assert.deepEqual(selectRaftInfo(info, ["nothing*"]), {});
  assert.equal(new TextDecoder().decode(encodeReply(selectRaftInfo(info, ["nothing*"]))), "*0\r\n");
});

test("Go-style durations, as time.Duration.String()", () => {
  const cases: Array<[bigint, string]> = [
    [0n, "0s"],
    [1n, "1ns"],
    [1_500n, "1.5µs"],
    [12_345_000n, "12.345ms"],
    [31_700_387_018n, "31.700387018s"],
    [3_723_500_000_000n, "1h2m3.5s"],
    [120_000_000_000n, "2m0s"],
  ];
  for (const [ns, text] of cases) assert.equal(goDuration(ns), text, `${ns} ns`);
});

test("parseGoDuration reads what Go's time.ParseDuration reads, in ms", () => {
  const cases: Array<[string, number]> = [["0", 0], ["10m", 600_000], ["1h30m", 5_400_000], ["1.5s", 1_500], ["250ms", 250], ["2h45m30.5s", 9_930_500], ["1500us", 1.5], [".5s", 500]];
  for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
  for (const bad of ["", "10", "s", "1 m", "-1s", "1d", "1m-2s"]) assert.equal(typeof parseGoDuration(bad), "string", bad);
});
