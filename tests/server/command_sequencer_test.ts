/**
 * The per-connection sequencer against its rules, over random arrivals and
 * completions: commands start in arrival order; what runs at once is only
 * writes, only reads, or one exclusive command; and nothing waits that the
 * rules would let start.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Concurrency, CommandSequencer } from "../../server/command_sequencer.ts";

interface Command {
  readonly id: number;
  readonly concurrency: Concurrency;
  /** Finishes inside its start (a synchronous reply). */
  readonly sync: boolean;
}

type Event = { readonly arrive: Omit<Command, "id"> } | { readonly finish: number };

const eventArbitrary: fc.Arbitrary<Event> = fc.oneof(
  fc.record({
    arrive: fc.record({ concurrency: fc.constantFrom<Concurrency>("write", "read", "exclusive"), sync: fc.boolean() }),
  }),
  fc.record({ finish: fc.nat() }),
);

test("random arrivals and completions keep order, never mix kinds, and never wait needlessly", () => {
  fc.assert(fc.property(fc.array(eventArbitrary, { maxLength: 200 }), (events) => {
    const sequencer = new CommandSequencer<Command>();
    const running: Command[] = [];
    const startOrder: number[] = [];
    let arrivals = 0;
    const start = (command: Command) => {
      startOrder.push(command.id);
      if (command.sync) return;
      sequencer.started(command.concurrency);
      running.push(command);
    };
    const checkRunning = () => {
      const kinds = new Set(running.map((c) => c.concurrency));
      assert.ok(kinds.size <= 1, `mixed kinds running: ${[...kinds]}`);
      if (kinds.has("exclusive")) assert.equal(running.length, 1, "an exclusive command ran beside another");
      assert.equal(sequencer.running, running.length);
    };
    for (const event of events) {
      if ("arrive" in event) {
        const command = { id: arrivals++, ...event.arrive };
        if (sequencer.mayStartNow(command.concurrency)) start(command);
        else sequencer.wait(command, command.concurrency);
      } else if (running.length > 0) {
        running.splice(event.finish % running.length, 1);
        sequencer.finished();
        for (let next = sequencer.next(); next; next = sequencer.next()) start(next);
      }
      checkRunning();
      // Nothing waits while nothing runs: a waiting head could always start then.
      if (running.length === 0) assert.equal(sequencer.queued, 0);
    }
    assert.deepEqual(startOrder, [...startOrder].sort((a, b) => a - b), "started out of arrival order");
    assert.equal(startOrder.length + sequencer.queued, arrivals);
  }), { numRuns: 500 });
});

test("a read after writes waits for all of them; reads after it run together; a write after them waits", () => {
  const sequencer = new CommandSequencer<string>();
  assert.ok(sequencer.mayStartNow("write"));
  sequencer.started("write");
  assert.ok(sequencer.mayStartNow("write"));
  sequencer.started("write");
  assert.equal(sequencer.mayStartNow("read"), false);
  sequencer.wait("r1", "read");
  assert.equal(sequencer.mayStartNow("read"), false, "a read may not overtake a waiting read");
  sequencer.wait("r2", "read");
  sequencer.wait("w3", "write");
  sequencer.finished();
  assert.equal(sequencer.next(), undefined, "one write still runs");
  sequencer.finished();
  assert.equal(sequencer.next(), "r1");
  sequencer.started("read");
  assert.equal(sequencer.next(), "r2");
  sequencer.started("read");
  assert.equal(sequencer.next(), undefined, "the write waits for both reads");
  sequencer.finished();
  sequencer.finished();
  assert.equal(sequencer.next(), "w3");
  assert.equal(sequencer.dropQueued(), 0);
});
