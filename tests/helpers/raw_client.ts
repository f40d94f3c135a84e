/**
 * A bare RESP client over node:net for tests that must control the exact
 * bytes sent (hostile input, pipelines, half commands).
 */
import * as net from "node:net";
import { parseReply, type Reply } from "../../server/resp_reply_parser.ts";
import { encodeCommand } from "../../server/resp_writer.ts";
import { ByteQueue } from "../../server/byte_queue.ts";

export class RawClient {
  readonly #socket: net.Socket;
  readonly #input = new ByteQueue();
  #replies: Reply[] = [];
  #waiters: Array<() => void> = [];
  #closed = false;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.#input.append(chunk);
      while (true) {
        const result = parseReply(this.#input.bytes, this.#input.start, this.#input.end);
        if (result.kind !== "reply") break;
        this.#replies.push(result.reply);
        this.#input.consume(result.consumed);
      }
      this.#wake();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on("error", () => {});
  }

  /** Connects to 127.0.0.1:`port`, from `localAddress` when given (any of 127/8 reaches lo on Linux). */
  static connect(port: number, localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port, localAddress }, () => resolve(new RawClient(socket)));
      socket.once("error", reject);
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops taking bytes from the socket, so the server's writes back up. */
  pauseReading(): void {
    this.#socket.pause();
  }

  resumeReading(): void {
    this.#socket.resume();
  }

  /** Bytes written by this client that the kernel has not accepted yet. */
  unsentBytes(): number {
    return this.#socket.writableLength;
  }

  write(bytes: Uint8Array | string): void {
    this.#socket.write(bytes);
  }

  send(...args: (string | Uint8Array)[]): void {
    this.write(encodeCommand(args));
  }

  /** Sends one command and waits for its reply; rejects if the server closes the connection first. */
  async call(...args: (string | Uint8Array)[]): Promise<Reply> {
    this.send(...args);
    const [reply] = await this.read();
    if (reply === undefined) throw new Error(`the server closed the connection before replying to ${String(args[0])}`);
    return reply;
  }

  /** Waits for `count` replies (or the close of the connection) and takes them. */
  async read(count = 1, timeoutMs = 15_000): Promise<Reply[]> {
    await this.#waitUntil(`${count} replies`, () => this.#replies.length >= count || this.#closed, timeoutMs);
    return this.#replies.splice(0, count);
  }

  /** Waits until the server closes the connection. */
  waitClosed(timeoutMs = 15_000): Promise<void> {
    return this.#waitUntil("the server to close", () => this.#closed, timeoutMs);
  }

  async #waitUntil(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}
