/**
 * An in-memory Bus for unit tests of ingest: it records what was produced, can be told to fail
 * like a bus that lost its brokers, and can hold produce calls open to simulate a slow bus.
 */
import type { Bus, BusMessage, Subscription } from '../../src/bus/bus.js';
import { CloudError } from '../../src/errors.js';

export interface FakeBus extends Bus {
  readonly produced: BusMessage[];
  /** How many produce calls resolved. */
  readonly produceCalls: number;
  /** While true, produce rejects with FW_BUS_UNAVAILABLE. */
  down: boolean;
  /** Holds every produce call open until `releaseHeld()`. */
  hold: boolean;
  releaseHeld(): void;
  readonly heldCount: number;
}

export function createFakeBus(): FakeBus {
  const produced: BusMessage[] = [];
  let produceCalls = 0;
  let held: Array<() => void> = [];
  const bus: FakeBus = {
    produced,
    down: false,
    hold: false,
    get produceCalls() {
      return produceCalls;
    },
    get heldCount() {
      return held.length;
    },
    releaseHeld() {
      const waiting = held;
      held = [];
      for (const resume of waiting) resume();
    },
    async produce(messages) {
      if (bus.hold) await new Promise<void>((resolve) => held.push(resolve));
      if (bus.down) throw new CloudError('FW_BUS_UNAVAILABLE', 'fake bus is down', { canRetry: true });
      produced.push(...messages);
      produceCalls += 1;
    },
    async prepare() {
      if (bus.down) throw new CloudError('FW_BUS_UNAVAILABLE', 'fake bus is down', { canRetry: true });
    },
    async scan() {},
    async consumerLag() {
      return [];
    },
    async subscribe(): Promise<Subscription> {
      return { close: async () => undefined };
    },
    async ready() {
      return !bus.down;
    },
    async close() {},
  };
  return bus;
}
