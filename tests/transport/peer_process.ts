/**
 * A transport node in its own process, for kill tests:
 *   peer_process.ts <id> <port> <peerId> <peerAddress>
 * Answers every heartbeat from the peer with a heartbeatResponse whose
 * context is the heartbeat's commit, and prints "ready" once listening.
 */
import { startNode } from "./harness.ts";

const [id, port, peerId, peerAddress] = process.argv.slice(2).map((a, i) => (i === 3 ? a : Number(a))) as [
  number,
  number,
  number,
  string,
];
let reply: (commit: number) => void = () => {};
const node = await startNode(id, {
  port,
  transport: {
    onMessage: (m) => {
      if (m.type === "heartbeat") reply(m.commit);
    },
  },
});
node.transport.setPeers(new Map([[peerId, peerAddress]]));
reply = (commit) => node.transport.send([{ type: "heartbeatResponse", from: id, to: peerId, term: 1, context: commit }]);
console.log("ready");
