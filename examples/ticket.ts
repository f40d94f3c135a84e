// ticket.ts — the seed's example: every TICKET returns the next number,
// unique and increasing across the whole cluster, even through failures.
import type { App } from "../mod.ts";

export default {
  name: "ticket",
  version: "0.1.0",
  initialData: () => ({ ticket: 0 }),
  jsonSnapshots: true,
  commands: {
    // Any number of arguments, ignored, as in uhaha's ticket example.
    ticket: { kind: "write", arity: -1, run: (m) => ++m.data.ticket },
  },
} satisfies App<{ ticket: number }>;
