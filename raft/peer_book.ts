/**
 * Keeps the transport's address book in step with the configuration: the
 * address of every other member, published again whenever a member or an
 * address changes. A configuration takes effect when appended, not when
 * committed (Raft §4.1), so the driver checks after persisting each Ready,
 * before its messages go out.
 */
import type { MembershipConfig } from "./core/types.ts";
import type { DriverTransport } from "./driver_seams.ts";

function configKey(config: MembershipConfig): string {
  return config.members.map((m) => `${m.id}@${m.address}`).join(",");
}

export class PeerBook {
  readonly #selfId: number;
  /** configKey of the configuration last published. */
  #published = "";

  constructor(selfId: number) {
    this.#selfId = selfId;
  }

  /** True when `config`'s members or addresses differ from those last published. */
  stale(config: MembershipConfig): boolean {
    return configKey(config) !== this.#published;
  }

  /** Gives `transport` the address of every member of `config` but this node. */
  publish(config: MembershipConfig, transport: DriverTransport | undefined): void {
    this.#published = configKey(config);
    const peers = new Map<number, string>();
    for (const member of config.members) {
      if (member.id !== this.#selfId) peers.set(member.id, member.address);
    }
    transport?.setPeers(peers);
  }
}
