/**
 * Runs the app's services (HTTP …) on connections the listener handed over
 * by their first bytes. A service's commands run as a client of this node
 * (one per connection; with --auth it must send AUTH first). Its connections are cut when the node stops (an idle
 * keep-alive would otherwise hold the listener open).
 */
import type { Socket } from "node:net";
import type { Service, ServiceApi } from "../api/app.ts";
import { asError } from "../api/errors.ts";
import type { Dispatch } from "../server/client_connection.ts";
import { ServiceClient } from "./app_hooks.ts";
import type { Logger } from "../raft/logger.ts";

const encoder = new TextEncoder();

export class ServiceHost {
  readonly #dispatch: Dispatch;
  readonly #status: () => Record<string, string>;
  readonly #log: Logger;
  readonly #sockets = new Set<Socket>();
  /** True when the node has no password: service clients start authenticated. */
  readonly #open: boolean;

  constructor(dispatch: Dispatch, status: () => Record<string, string>, log: Logger, open: boolean) {
    this.#open = open;
    this.#dispatch = dispatch;
    this.#status = status;
    this.#log = log;
  }

  serve(service: Service, socket: Socket, firstBytes: Uint8Array): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    const client = new ServiceClient(socket, this.#open);
    const api: ServiceApi = {
      send: async (args) => {
        try {
          return await this.#dispatch(client, args.map((arg) => typeof arg === "string" ? encoder.encode(arg) : arg));
        } catch (error) {
          return asError(error);
        }
      },
      status: this.#status,
    };
    try {
      service.serve(socket, firstBytes, api);
      socket.resume();
    } catch (error) {
      this.#log.warn(`service ${service.name} failed on ${client.remoteAddress}: ${asError(error).message}`);
      socket.destroy();
    }
  }

  closeAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }
}
