import { test } from "node:test";
import assert from "node:assert/strict";
import { EntryKind } from "../../raft/log_entry.ts";
test("runs", () => { assert.equal(EntryKind.Config, 2); });
