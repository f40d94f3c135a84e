/**
 * order_app's replies as a sequential model predicts them, one command at a
 * time, and replies as comparable strings: what the per-connection order
 * tests (on the leader, and through a follower's proxy) compare against.
 */
import type { Reply } from "../../server/resp_reply_parser.ts";

/** order_app, as `startCluster` wants it (a path relative to examples/). */
export const ORDER_EXAMPLE = "../tests/cluster/order_app";

/** A reply as one comparable string: +simple, -error, :int, $bulk, nil, [a,b]. */
export function show(reply: Reply): string {
  switch (reply.type) {
    case "simple":
      return `+${reply.text}`;
    case "error":
      return `-${reply.text}`;
    case "integer":
      return `:${reply.value}`;
    case "bulk":
      return reply.value === null ? "nil" : `$${new TextDecoder().decode(reply.value)}`;
    case "array":
      return reply.items === null ? "nil" : `[${reply.items.map(show).join(",")}]`;
  }
}

/** What order_app answers, computed one command at a time. */
export class SequentialModel {
  readonly #keys = new Map<string, string>();

  reply(args: readonly string[]): string {
    const [name, ...rest] = args;
    switch (name.toLowerCase()) {
      case "set":
        if (rest.length !== 2) return "-ERR wrong number of arguments for 'set' command";
        this.#keys.set(rest[0], rest[1]);
        return "+OK";
      case "get":
        return this.#keys.has(rest[0]) ? `$${this.#keys.get(rest[0])}` : "nil";
      case "del":
        return `:${rest.filter((key) => this.#keys.delete(key)).length}`;
      case "incr":
      case "incrlater": {
        const value = Number(this.#keys.get(rest[0]) ?? "0");
        if (!Number.isSafeInteger(value)) return "-ERR value is not an integer";
        this.#keys.set(rest[0], String(value + 1));
        return `:${value + 1}`;
      }
      case "keys": {
        const prefix = rest[0].replace(/\*$/, "");
        return `[${[...this.#keys.keys()].filter((key) => key.startsWith(prefix)).sort().map((key) => `$${key}`).join(",")}]`;
      }
      case "dbsize":
        return `:${this.#keys.size}`;
      case "ping":
        return "+PONG";
      case "echo":
        return `$${rest[0]}`;
      case "raft":
        return "[$state,$Leader]";
      case "barrier":
        return "+OK";
      default:
        return `-ERR unknown command '${name.toLowerCase()}'`;
    }
  }
}
