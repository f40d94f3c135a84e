/** Snapshots of every server's log for the electability check, from memory or from disk. */
import { EntryKind } from "../../raft/log_entry.ts";
import { decodeConfig, voterIds } from "../../raft/core/mod.ts";
import type { LogView } from "./checker.ts";
import type { SimServer } from "./server.ts";

/** Logs of every server that may still vote or campaign (not removed), from memory or disk. */
export function logViews(servers: Iterable<SimServer>): LogView[] {
  const views: LogView[] = [];
  for (const s of servers) {
    if (s.removed) continue;
    const core = s.core;
    if (core) {
      views.push({
        id: s.id, lastIndex: core.lastIndex, lastTerm: core.termAt(core.lastIndex)!,
        snapshotIndex: core.snapshotMeta.index, voters: voterIds(core.config),
        termAt: (i) => core.termAt(i),
      });
      continue;
    }
    const d = s.disk;
    const base = d.snapshot.meta.index;
    const last = d.entries.length > 0 ? d.entries[d.entries.length - 1] : undefined;
    let config = d.snapshot.meta.config;
    for (let k = d.entries.length - 1; k >= 0; k--) {
      if (d.entries[k].kind === EntryKind.Config) {
        config = decodeConfig(d.entries[k].data);
        break;
      }
    }
    views.push({
      id: s.id, lastIndex: last?.index ?? base, lastTerm: last?.term ?? d.snapshot.meta.term,
      snapshotIndex: base, voters: voterIds(config),
      termAt: (i) => (i === base ? d.snapshot.meta.term : d.entries[i - base - 1]?.term),
    });
  }
  return views;
}
