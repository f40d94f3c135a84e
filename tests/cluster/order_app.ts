// A test app for per-connection order: a string key-value store whose
// replies a sequential model can predict. INCRLATER is an intermediate that
// waits a moment and then rewrites itself into INCR.
import { type App, resp } from "../../mod.ts";

interface OrderData {
  keys: Record<string, string>;
}

export default {
  name: "order",
  version: "0.1.0",
  initialData: () => ({ keys: {} }),
  jsonSnapshots: true,
  commands: {
    set: {
      kind: "write",
      run: (m, args) => {
        if (args.length !== 3) return new Error("wrong number of arguments for 'set' command");
        m.data.keys[args[1]] = args[2];
        return resp.ok;
      },
    },
    del: {
      kind: "write",
      run: (m, args) => {
        let deleted = 0;
        for (const key of args.slice(1)) {
          if (key in m.data.keys) deleted++;
          delete m.data.keys[key];
        }
        return resp.int(deleted);
      },
    },
    incr: {
      kind: "write",
      run: (m, args) => {
        const value = Number(m.data.keys[args[1]] ?? "0");
        if (!Number.isSafeInteger(value)) return new Error("value is not an integer");
        m.data.keys[args[1]] = String(value + 1);
        return resp.int(value + 1);
      },
    },
    get: { kind: "read", run: (m, args) => m.data.keys[args[1]] ?? null },
    // KEYS prefix*: the keys starting with prefix, sorted.
    keys: {
      kind: "read",
      run: (m, args) => Object.keys(m.data.keys).filter((key) => key.startsWith(args[1].replace(/\*$/, ""))).sort(),
    },
    dbsize: { kind: "read", run: (m) => resp.int(Object.keys(m.data.keys).length) },
    incrlater: {
      kind: "intermediate",
      run: async (c, args) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return c.rewrite(["INCR", args[1]]);
      },
    },
  },
} satisfies App<OrderData>;
