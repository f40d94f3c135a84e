/**
 * The membership record's pure rules (what a node records from each
 * committed configuration, when a member refuses a removed id, when a
 * refused node believes it) and its file (round trip, a damaged file).
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  EMPTY_RECORD,
  type MembershipRecord,
  MembershipRecordFile,
  observeConfig,
  removalIndexIn,
  removalRefusal,
} from "../../cluster/membership_record.ts";
import type { MembershipConfig } from "../../raft/core/types.ts";
import { makeTempDir, removeTempDirs } from "../helpers/process.ts";

function config(...ids: number[]): MembershipConfig {
  return { members: ids.map((id) => ({ id, address: `n${id}`, voter: true })) };
}

describe("membership record", () => {
  after(() => removeTempDirs());

  test("the first configuration is recorded without removals; later ones record who went, and who came back", () => {
    const first = observeConfig(EMPTY_RECORD, 2, config(1, 2, 3), 5)!;
    assert.deepEqual(first, { members: [1, 2, 3], configIndex: 5, removed: {}, selfRemoved: null });
    assert.equal(observeConfig(first, 2, config(3, 2, 1), 5), undefined, "the same configuration: no change");
    const without3 = observeConfig(first, 2, config(1, 2), 12)!;
    assert.deepEqual(without3, { members: [1, 2], configIndex: 12, removed: { 3: 12 }, selfRemoved: null });
    // A later configuration still without 3 moves its index up: it is the latest that excludes it.
    const with4 = observeConfig(without3, 2, config(1, 2, 4), 15)!;
    assert.deepEqual(with4.removed, { 3: 15 });
    const back = observeConfig(with4, 2, config(1, 2, 3, 4), 20)!;
    assert.deepEqual(back.removed, {}, "re-added: no longer refused");
  });

  test("a re-adding and a removal that passed between two looks still move the removal's index past the re-adding", () => {
    const seen = observeConfig(EMPTY_RECORD, 1, config(1, 2, 3), 5)!;
    const removed = observeConfig(seen, 1, config(1, 2), 8)!;
    // Re-added at 10 and removed again at 14, seen only at 14: a node re-added at 10 knows config 10 < 14.
    assert.deepEqual(observeConfig(removed, 1, config(1, 2), 14)!.removed, { 3: 14 });
  });

  test("a node records its own removal only after a configuration that had it", () => {
    // A joiner's first configuration may predate its addition: not a removal.
    assert.equal(observeConfig(EMPTY_RECORD, 4, config(1, 2, 3), 7)!.selfRemoved, null);
    const member = observeConfig(EMPTY_RECORD, 3, config(1, 2, 3), 7)!;
    assert.deepEqual(observeConfig(member, 3, config(1, 2), 11)!.selfRemoved, {
      index: 11,
      how: "it applied the configuration that removed it",
    });
  });

  test("a member refuses an id it saw removed, unless its latest configuration lists it again", () => {
    const record: MembershipRecord = { members: [1, 2], configIndex: 12, removed: { 3: 12 }, selfRemoved: null };
    const refusal = removalRefusal(record, config(1, 2), 3)!;
    assert.match(refusal, /^node 3 was removed from the cluster by the configuration at index 12; .*--reset/);
    assert.equal(removalRefusal(record, config(1, 2, 3), 3), undefined, "re-added, maybe not committed yet");
    assert.equal(removalRefusal(record, config(1, 2), 4), undefined, "never a member: a joiner");
    // The refused node reads the index, for itself only.
    assert.equal(removalIndexIn(`refused by the peer: ${refusal}`, 3), 12);
    assert.equal(removalIndexIn(refusal, 4), undefined);
    assert.equal(removalIndexIn("refused by the peer: authentication failed", 3), undefined);
  });

  test("the file: absent is empty, a save round-trips, damage is a clear error", async () => {
    const dir = makeTempDir();
    const file = MembershipRecordFile.open(dir, false);
    assert.deepEqual(file.record, EMPTY_RECORD);
    const record: MembershipRecord = { members: [1, 2], configIndex: 12, removed: { 3: 12 }, selfRemoved: { index: 12, how: "test" } };
    await file.set(record);
    assert.deepEqual(MembershipRecordFile.open(dir, false).record, record);
    writeFileSync(path.join(dir, "membership.json"), "00000000\n{}");
    assert.throws(() => MembershipRecordFile.open(dir, false), /membership\.json.*checksum mismatch/);
  });
});
