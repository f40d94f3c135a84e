/**
 * The proxy's connection to the leader against small real servers on
 * loopback: the handshake (AUTH, PROXYHOP) comes first, pipelined replies
 * go to their commands in order, and a command that gets no reply says
 * whether it may have reached the leader — not when the connection was
 * refused or AUTH was, yes once it was connected and sent.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { LeaderLink, LinkLostError } from "../../cluster/leader_link.ts";
import { freePort } from "../helpers/process.ts";
import { parseCommand } from "../../server/resp_parser.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const servers = new Set<net.Server>();

/** A server that hands each command (as text) to `answer`, which writes the reply (or closes). */
async function fakeLeader(answer: (args: string[], socket: net.Socket) => void): Promise<string> {
  const server = net.createServer((socket) => {
    let buffer = new Uint8Array(0);
    socket.on("data", (chunk: Uint8Array) => {
      const joined = new Uint8Array(buffer.length + chunk.length);
      joined.set(buffer);
      joined.set(chunk, buffer.length);
      buffer = joined;
      for (;;) {
        const result = parseCommand(buffer, 0, buffer.length);
        if (result.kind !== "command") break;
        buffer = buffer.slice(result.consumed);
        answer(result.args.map((arg) => decoder.decode(arg)), socket);
      }
    });
    socket.on("error", () => {});
  });
  servers.add(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

const args = (...words: string[]) => words.map((word) => encoder.encode(word));

describe("LeaderLink", () => {
  after(() => servers.forEach((server) => server.close()));

  test("AUTH and PROXYHOP first, then each reply to its command, in order", async () => {
    const seen: string[] = [];
    const address = await fakeLeader((command, socket) => {
      seen.push(command.join(" "));
      socket.write(command[0] === "ECHO" ? `$${command[1].length}\r\n${command[1]}\r\n` : "+OK\r\n");
    });
    const link = new LeaderLink({ address, tls: undefined, password: "pw" });
    const replies = await Promise.all(["a", "bb", "ccc"].map((word) => link.send(args("ECHO", word))));
    assert.deepEqual(replies.map((reply) => reply.type === "bulk" ? decoder.decode(reply.value!) : reply.type), ["a", "bb", "ccc"]);
    assert.deepEqual(seen, ["AUTH pw", "PROXYHOP", "ECHO a", "ECHO bb", "ECHO ccc"]);
    link.close("done");
  });

  test("a refused connection: not delivered", async () => {
    const link = new LeaderLink({ address: `127.0.0.1:${await freePort()}`, tls: undefined, password: undefined });
    const error = await link.send(args("SET", "k", "v")).catch((e) => e);
    assert.ok(error instanceof LinkLostError);
    assert.equal(error.delivered, false);
    assert.equal(link.usable, false);
  });

  test("a refused AUTH: not delivered (the leader answers NOAUTH to everything after it)", async () => {
    const address = await fakeLeader((command, socket) => {
      socket.write(command[0] === "AUTH" ? "-ERR invalid password\r\n" : "-NOAUTH Authentication required.\r\n");
    });
    const link = new LeaderLink({ address, tls: undefined, password: "wrong" });
    const error = await link.send(args("SET", "k", "v")).catch((e) => e);
    assert.ok(error instanceof LinkLostError);
    assert.equal(error.delivered, false);
    assert.match(error.message, /refused the proxy: ERR invalid password/);
  });

  test("the connection lost after a command was sent: delivered (its outcome is unknown)", async () => {
    const address = await fakeLeader((command, socket) => {
      if (command[0] === "PROXYHOP") socket.write("+OK\r\n");
      else socket.destroy();
    });
    const link = new LeaderLink({ address, tls: undefined, password: undefined });
    const error = await link.send(args("SET", "k", "v")).catch((e) => e);
    assert.ok(error instanceof LinkLostError);
    assert.equal(error.delivered, true);
  });
});
