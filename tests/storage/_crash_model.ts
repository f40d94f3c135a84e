/** What the crash child writes at each index (shared with the parent that checks it). */
import type { LogEntry } from "../../raft/log_entry.ts";
import { payload } from "./_helpers.ts";

export function crashEntry(index: number): LogEntry {
  const term = 1 + Math.floor(index / 500);
  return { index, term, kind: index % 7 === 0 ? 2 : 0, data: payload(index, term, 1 + (index * 131) % 700) };
}
