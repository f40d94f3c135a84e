/** A raw TCP conversation for the example tests: send bytes, wait for the received text to match. */
import * as net from "node:net";
import { waitFor } from "../helpers/process.ts";

export interface RawConnection {
  send(text: string): void;
  /** Everything received so far. */
  received(): string;
  /** Waits until the received text matches `pattern`; returns the match. */
  expect(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  close(): void;
}

export async function rawConnect(port: number): Promise<RawConnection> {
  const socket = net.connect({ host: "127.0.0.1", port });
  let text = "";
  socket.on("data", (chunk: Uint8Array) => (text += new TextDecoder().decode(chunk)));
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return {
    send: (data) => void socket.write(data),
    received: () => text,
    expect: async (pattern, timeoutMs = 10_000) => {
      try {
        return await waitFor(String(pattern), () => pattern.exec(text) ?? undefined, timeoutMs);
      } catch (error) {
        throw new Error(`${(error as Error).message}; received ${JSON.stringify(text)}`);
      }
    },
    close: () => void socket.destroy(),
  };
}
