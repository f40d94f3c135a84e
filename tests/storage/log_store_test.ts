/** The LogStore conformance suite against both implementations. */
import { MemoryLogStore } from "../../raft/storage/memory_log_store.ts";
import { openFileLogStore } from "../../raft/storage/file_log_store.ts";
import { logStoreConformance } from "./_log_conformance.ts";
import { tempDir } from "./_helpers.ts";

logStoreConformance("memory", () =>
  Promise.resolve({
    open: () => Promise.resolve(new MemoryLogStore()),
    reopen: (s) => Promise.resolve(s),
    cleanup: () => Promise.resolve(),
  }));

for (const variant of [
  { label: "file", options: {} },
  { label: "file (tiny segments, tiny cache)", options: { segmentBytes: 256, cacheEntries: 3 } },
  { label: "file (nosync)", options: { nosync: true, segmentBytes: 1024 } },
]) {
  logStoreConformance(variant.label, async () => {
    const { dir, cleanup } = await tempDir();
    const open = () => openFileLogStore(dir, { ...variant.options, logger: () => {} });
    return {
      open,
      reopen: async (s) => {
        await s.close();
        return open();
      },
      cleanup,
    };
  });
}
