/**
 * uhaha for TypeScript: Raft-replicated data applications served over the
 * Redis protocol.
 *
 * This module is what applications import (by URL in Deno, or by path). Its
 * import graph holds only relative `.ts` files and `node:` built-ins, so it
 * needs no import map and no npm.
 *
 * @example A command handler choosing its reply types
 * ```ts
 * import { resp, type ReplyValue } from "./mod.ts";
 *
 * function dbsize(keys: Map<string, string>): ReplyValue {
 *   return resp.int(keys.size); // `:3` rather than the bulk string "3"
 * }
 * ```
 * @module
 */

export {
  type ReplyValue,
  resp,
  RespInteger,
  RespNullArray,
  RespSimple,
} from "./server/resp_values.ts";
export { UHAHA_VERSION } from "./node/version.ts";
