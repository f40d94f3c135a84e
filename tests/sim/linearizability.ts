/**
 * Linearizability checker for a single register whose writes carry unique
 * values (Wing & Gong search with memoization, as in Lowe's/Knossos'
 * checkers). Unique values keep the search small: every read names the
 * write it observed.
 */

/** One operation of the history; times are simulator steps. */
export interface RegisterOp {
  readonly kind: "write" | "read";
  readonly value: number;
  readonly invokedAt: number;
  /** Infinity when the outcome is unknown (a write that may or may not have happened). */
  readonly returnedAt: number;
  readonly client: string;
}

export interface LinearizabilityResult {
  readonly ok: boolean;
  readonly explanation: string;
}

/** Checks `history` against a register that starts at `initial`. */
export function checkRegister(history: readonly RegisterOp[], initial = 0): LinearizabilityResult {
  const observed = new Set(history.filter((o) => o.kind === "read").map((o) => o.value));
  const written = new Set(history.filter((o) => o.kind === "write").map((o) => o.value));
  for (const op of history) {
    if (op.kind === "read" && op.value !== initial && !written.has(op.value)) {
      return { ok: false, explanation: `read by ${op.client} returned ${op.value}, which was never written` };
    }
    if (op.kind === "read" && op.returnedAt === Infinity) {
      return { ok: false, explanation: "a read must have a return time" };
    }
  }
  // A write with unknown outcome that nobody read can always be left out.
  const ops = history
    .filter((o) => !(o.kind === "write" && o.returnedAt === Infinity && !observed.has(o.value)))
    .slice()
    .sort((a, b) => a.invokedAt - b.invokedAt);
  const n = ops.length;
  const required = ops.map((o) => o.returnedAt !== Infinity);
  const done = new Uint8Array(n);
  const seen = new Set<string>();
  let doneRequired = 0;
  const totalRequired = required.filter(Boolean).length;
  let budget = 2_000_000;

  const search = (value: number): boolean => {
    if (doneRequired === totalRequired) return true;
    if (--budget < 0) throw new Error("linearizability search budget exhausted");
    const key = value + ":" + done.join("");
    if (seen.has(key)) return false;
    seen.add(key);
    // Earliest return among ops not yet linearized: any op invoked after it
    // cannot go next.
    let horizon = Infinity;
    for (let i = 0; i < n; i++) if (!done[i] && ops[i].returnedAt < horizon) horizon = ops[i].returnedAt;
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      const op = ops[i];
      if (op.invokedAt > horizon) break;
      if (op.kind === "read" && op.value !== value) continue;
      done[i] = 1;
      if (required[i]) doneRequired++;
      const ok = search(op.kind === "write" ? op.value : value);
      done[i] = 0;
      if (required[i]) doneRequired--;
      if (ok) return true;
    }
    return false;
  };

  if (search(initial)) return { ok: true, explanation: "linearizable" };
  return {
    ok: false,
    explanation: "no linearization exists for the register history:\n" +
      ops.map((o) =>
        `  ${o.client} ${o.kind}(${o.value}) [${o.invokedAt}, ${o.returnedAt === Infinity ? "?" : o.returnedAt}]`
      ).join("\n"),
  };
}
