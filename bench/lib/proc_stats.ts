/**
 * CPU time and resident memory of server processes, from Linux's /proc:
 * `/proc/<pid>/stat` (utime + stime, in clock ticks) and
 * `/proc/<pid>/status` (VmRSS). A process's figures include its descendants
 * (found through /proc/<pid>/task/<tid>/children), so a server started
 * behind a wrapper is still measured whole.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat. */
export const CLOCK_TICKS_PER_SECOND = clockTicksPerSecond();

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return ""; // the process (or thread) is gone
  }
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${found[i]}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      for (const child of readOrEmpty(`/proc/${found[i]}/task/${tid}/children`).split(" ")) {
        if (child.trim() !== "") found.push(Number(child));
      }
    }
  }
  return found;
}

/** utime + stime of one process in clock ticks; 0 once it has exited. */
function ownCpuTicks(pid: number): number {
  const stat = readOrEmpty(`/proc/${pid}/stat`);
  // Fields after the command name, which is in parentheses and may hold spaces:
  // state is field 3 of proc(5), utime 14 and stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : 0;
}

/** CPU seconds used so far by the processes `pids` and their descendants. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) for (const member of processTree(pid)) ticks += ownCpuTicks(member);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory in KiB of `pid` and its descendants (VmRSS); 0 once it has exited. */
export function residentKiB(pid: number): number {
  let kib = 0;
  for (const member of processTree(pid)) {
    kib += Number(/VmRSS:\s+(\d+)/.exec(readOrEmpty(`/proc/${member}/status`))?.[1] ?? 0);
  }
  return kib;
}
