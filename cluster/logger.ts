/**
 * The leveled logger, with uhaha's line shape:
 * `PID:R DD Mon YYYY HH:MM:SS.mmm L message`, where R is the node's role
 * letter and L the level mark.
 */

import type { Logger } from "../raft/logger.ts";

export const LOG_LEVELS = ["debug", "verb", "info", "warn", "silent"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

/** S starting, F follower, C candidate, L leader, D down. */
export type RoleLetter = "S" | "F" | "C" | "L" | "D";

const MARKS: Record<Exclude<LogLevel, "silent">, string> = {
  debug: ".",
  verb: "-",
  info: "*",
  warn: "#",
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The node's log: the one Logger interface, plus the role letter its lines carry. */
export interface NodeLogger extends Logger {
  /** The letter after the PID; the node updates it on role changes. */
  role: RoleLetter;
}

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

/** Formats one log line (without the newline). */
export function formatLogLine(
  pid: number,
  role: RoleLetter,
  at: Date,
  level: Exclude<LogLevel, "silent">,
  message: string,
): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${two(at.getDate())} ${MONTHS[at.getMonth()]} ${at.getFullYear()} ` +
    `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.` +
    String(at.getMilliseconds()).padStart(3, "0");
  return `${pid}:${role} ${stamp} ${MARKS[level]} ${message}`;
}

/** A logger writing lines at or above `level` to `write` (stderr by default). */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line + "\n"),
): NodeLogger {
  const threshold = LOG_LEVELS.indexOf(level);
  const logger: NodeLogger = {
    role: "S",
    debug: (message) => emit("debug", message),
    verb: (message) => emit("verb", message),
    info: (message) => emit("info", message),
    warn: (message) => emit("warn", message),
  };
  function emit(at: Exclude<LogLevel, "silent">, message: string): void {
    if (LOG_LEVELS.indexOf(at) >= threshold) {
      write(formatLogLine(process.pid, logger.role, new Date(), at, message));
    }
  }
  return logger;
}
