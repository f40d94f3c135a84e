/** A deterministic kv machine of n small entries, the same on every runtime. */
import assert from "node:assert/strict";
import type { App } from "../../api/app.ts";
import { ReplicatedMachine } from "../../machine/machine.ts";
import { binary, encodeKey } from "../../store/key_codec.ts";
import { KvU64 } from "../../store/kv_u64.ts";
import { encodeValue } from "../../store/value_codec.ts";
import { storeOf } from "../../store/sync_kv.ts";
import { formatVersionstamp } from "../../store/versionstamp.ts";

export const kvApp: App<{ note: string }> = {
  name: "snap",
  kv: true,
  initialData: () => ({ note: "app data beside the store" }),
  jsonSnapshots: true,
  commands: {},
};

function keyOf(i: number): readonly (string | number | bigint | Uint8Array | boolean)[] {
  switch (i % 4) {
    case 0:
      return ["user", i];
    case 1:
      return ["user", BigInt(i), i % 3 === 0];
    case 2:
      return [new Uint8Array([i & 255, 0]), `s${i}`];
    default:
      return ["é", -i / 7];
  }
}

function valueOf(i: number): unknown {
  return i % 5 === 0 ? new KvU64(BigInt(i)) : i % 5 === 1 ? { i, name: `n${i}` } : i % 5 === 2 ? new Date(i) : i % 5 === 3 ? [i, -0, null] : `v${i}`;
}

export function referenceMachine(n: number): ReplicatedMachine<{ note: string }> {
  const machine = new ReplicatedMachine(kvApp);
  const store = storeOf(machine.kv!);
  for (let i = 0; i < n; i++) {
    store.load(encodeKey(keyOf(i)), {
      value: binary(encodeValue(valueOf(i))),
      versionstamp: formatVersionstamp(i + 1, i % 3),
      expireAt: i % 10 === 0 ? 4_000_000_000_000 + i : -1,
    });
  }
  return machine;
}

/** Checks a restored machine against what referenceMachine built. */
export function spotCheck(machine: ReplicatedMachine<{ note: string }>, n: number): void {
  assert.deepEqual(machine.data, { note: "app data beside the store" });
  assert.equal(storeOf(machine.kv!).size, n);
  for (const i of [0, 1, 2, 3, 4, Math.floor(n / 2), n - 1]) {
    const entry = machine.kv!.get(keyOf(i));
    assert.deepEqual(entry.value, valueOf(i), `entry ${i}`);
    assert.equal(entry.versionstamp, formatVersionstamp(i + 1, i % 3));
  }
}
