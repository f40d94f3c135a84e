/**
 * Node ids: positive integers up to 2^31 − 1, as `-n` and
 * `RAFT SERVER ADD` take them — small enough for every layer to store and
 * send exactly.
 */

export const MAX_NODE_ID = 2 ** 31 - 1;

/** The node id `text` names, or why it names none. */
export function parseNodeId(text: string): number | "malformed" | "out of range" {
  if (!/^[1-9][0-9]*$/.test(text)) return "malformed";
  const id = Number(text);
  return id <= MAX_NODE_ID ? id : "out of range";
}
