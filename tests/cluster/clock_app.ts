// A test app for the cluster tests: CLOCK (a write) returns the machine time
// and a few random values and keeps them; LAST and HISTORY (reads) return
// what the writes kept, so replicas can be compared. INCR/GET count.
import type { App } from "../../mod.ts";

interface ClockData {
  n: number;
  last: string[] | null;
  history: string[];
}

export default {
  name: "clock",
  version: "0.1.0",
  initialData: () => ({ n: 0, last: null, history: [] }),
  jsonSnapshots: true,
  commands: {
    clock: {
      kind: "write",
      run: (m) => {
        const sample = [
          String(m.now()),
          String(m.rand.uint32()),
          String(m.rand.uint64()),
          String(m.rand.int()),
          String(m.rand.float64()),
          m.rand.uuid(),
          Array.from(m.rand.bytes(6), (b) => b.toString(16).padStart(2, "0")).join(""),
        ];
        m.data.n++;
        m.data.last = sample;
        m.data.history.push(sample.join(" "));
        return [String(m.data.n), ...sample];
      },
    },
    last: { kind: "read", run: (m) => (m.data.last ? [String(m.data.n), ...m.data.last] : null) },
    history: { kind: "read", run: (m) => m.data.history },
    incr: { kind: "write", run: (m) => ++m.data.n },
    get: { kind: "read", run: (m) => m.data.n },
  },
} satisfies App<ClockData>;
