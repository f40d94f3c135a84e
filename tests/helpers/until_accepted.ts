/**
 * Sending a command again while a node answers "not yet": until its first
 * TICK is applied a node refuses writes with `TRYAGAIN`, and until it has
 * opened its data it answers `LOADING`. One loop, with a deadline, for
 * every kind of test client: ioredis (error replies as `Error` values, as
 * `ask` gives them), the RawClient (`{ type: "error", text }`), and
 * redis-cli's output (with `notYetText`).
 */

/** A reply that says "not yet": `TRYAGAIN …` or `LOADING …`. */
const NOT_YET = /^(TRYAGAIN|LOADING)/;

/** The text of an error reply as an ioredis (`Error`) or a RawClient (`{ type: "error" }`) reply; undefined for any other reply. */
export function errorReplyText(reply: unknown): string | undefined {
  if (reply instanceof Error) return reply.message;
  if (typeof reply === "object" && reply !== null && (reply as { type?: unknown }).type === "error") {
    return String((reply as { text?: unknown }).text);
  }
  return undefined;
}

/** True for `TRYAGAIN` and `LOADING` error replies: the node will take the command a little later. */
export function notYet(reply: unknown): boolean {
  return notYetText(errorReplyText(reply) ?? "");
}

/** `notYet` for an error's text, such as redis-cli prints it. */
export function notYetText(text: string): boolean {
  return NOT_YET.test(text);
}

/** True for every error reply: for a node that may also redirect or be unreachable for a while (a new leader, a restart). */
export function anyError(reply: unknown): boolean {
  return errorReplyText(reply) !== undefined;
}

export interface UntilAcceptedOptions<R> {
  /** Which replies mean "send it again" (default: `notYet`). */
  readonly retryable?: (reply: R) => boolean;
  /** What is being sent, for the timeout message. */
  readonly what?: string;
  /** Give up (and throw) after this long (default 15 s). */
  readonly timeoutMs?: number;
}

const PAUSE_MS = 25;

/**
 * Calls `send` until its reply is not `retryable`, and returns that reply;
 * throws once `timeoutMs` have passed with the last reply in the message.
 * An exception from `send` is not retried: it propagates.
 */
export async function untilAccepted<R>(send: () => Promise<R>, options: UntilAcceptedOptions<R> = {}): Promise<R> {
  const { retryable = notYet, what = "a command", timeoutMs = 15_000 } = options;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const reply = await send();
    if (!retryable(reply)) return reply;
    if (Date.now() >= deadline) {
      const last = errorReplyText(reply) ?? String(reply);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} to be accepted; the last reply was ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}
