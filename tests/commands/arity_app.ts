// The app of app_arity_test.ts: commands that declare an arity (exact and
// at-least), flags, and commands that declare neither.
import { type App, resp } from "../../mod.ts";

/** How many times a handler that declares an arity ran (this node only). */
let handlerRuns = 0;

export default {
  name: "arity",
  initialData: () => ({ values: {} as Record<string, string> }),
  jsonSnapshots: true,
  commands: {
    // SET key value: exactly 3 arguments, counting the name.
    set: { kind: "write", arity: 3, run: (m, args) => ((m.data.values[args[1]] = args[2]), resp.ok) },
    // DEL key [key …]: at least 2.
    del: {
      kind: "write",
      arity: -2,
      run: (m, args) => resp.int(args.slice(1).filter((key) => key in m.data.values && delete m.data.values[key]).length),
    },
    get: { kind: "read", arity: 2, flags: ["fast"], run: (m, args) => m.data.values[args[1]] ?? null },
    // No arity: every count reaches the handler, which answers it.
    count: { kind: "read", run: (_m, args) => resp.int(args.length) },
    touch: { kind: "intermediate", arity: 2, run: () => resp.int(++handlerRuns) },
    runs: { kind: "intermediate", arity: 1, run: () => resp.int(handlerRuns) },
    // Becomes SET with one argument too few: the rewrite meets SET's arity.
    setone: { kind: "intermediate", arity: 2, flags: ["write"], run: (c, args) => c.rewrite(["SET", args[1]]) },
    // Declared in upper and mixed case: names are case-insensitive.
    UPPER: { kind: "write", arity: 2, run: (m, args) => ((m.data.values.upper = args[1]), resp.ok) },
    Lower: { kind: "read", arity: 1, run: (m) => m.data.values.upper ?? null },
    "*": { kind: "intermediate", arity: -2, run: (_c, args) => `caught ${args.length}` },
  },
} satisfies App<{ values: Record<string, string> }>;
