/**
 * Reads back what is on a bus: every message of the given topics from the oldest, through a
 * consumer group of its own, until `until` holds for what was read (or the time runs out).
 * Works on any Bus (the embedded log in unit tests, Kafka in integration tests).
 */
import { randomUUID } from 'node:crypto';
import type { Bus, DeliveredMessage } from '../../src/bus/bus.js';

export async function readBack(
  bus: Bus,
  topics: string[],
  until: (messages: readonly DeliveredMessage[]) => boolean,
  timeoutMs = 10_000,
): Promise<DeliveredMessage[]> {
  const messages: DeliveredMessage[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const subscription = await bus.subscribe({
    groupId: `readback-${randomUUID()}`,
    topics,
    fromBeginning: true,
    async handle(batch) {
      messages.push(...batch);
      if (until(messages)) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  try {
    if (!until(messages)) await finished;
  } finally {
    clearTimeout(timer);
    await subscription.close();
  }
  return messages;
}
