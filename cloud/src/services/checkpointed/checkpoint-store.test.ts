import { BUS_TOPICS } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import type { Bus, DeliveredMessage } from '../../bus/bus.js';
import { createFakeBus } from '../../../test/support/fake-bus.js';
import { createCheckpointStore } from './checkpoint-store.js';
import { encodeSnapshot } from './snapshot-codec.js';

/** What was produced, read back by `scan` as an uncompacted topic would hold it (every record of a key). */
function uncompactedBus(): Bus {
  const bus = createFakeBus();
  return {
    ...bus,
    async scan(topic, visit) {
      await visit(bus.produced.filter((m) => m.topic === topic).map((m, i): DeliveredMessage => ({ ...m, partition: 0, offset: String(i) })));
    },
  };
}

describe('checkpoint store', () => {
  const slot = { topic: 'fleetwire.telemetry.vehicle', partition: 1 };

  it('loads the checkpoint with the largest next of each partition, decoding no other record', async () => {
    const bus = uncompactedBus();
    const store = createCheckpointStore(bus);
    await store.save('g', slot, { next: 10, state: { vehicles: new Map([['VH-1', 1]]) }, takenAt: 1000 });
    await store.save('g', slot, { next: 30, state: { vehicles: new Map([['VH-1', 3]]) }, takenAt: 3000 });
    // A late write of a member the group had already replaced, and a record that would not even decode.
    await store.save('g', slot, { next: 20, state: { vehicles: new Map([['VH-1', 2]]) }, takenAt: 4000 });
    await bus.produce([{
      topic: BUS_TOPICS.checkpoints, key: `g|${slot.topic}#1`, value: Buffer.from('not gzip'),
      headers: { 'fw-kind': 'checkpoint', 'fw-checkpoint-next': '5', 'fw-checkpoint-taken-at': '500' },
    }]);
    await store.save('other-group', slot, { next: 99, state: {}, takenAt: 1 });

    const loaded = await store.load('g');
    expect([...loaded.keys()]).toEqual([`${slot.topic}#1`]);
    const checkpoint = loaded.get(`${slot.topic}#1`);
    expect(checkpoint?.next).toBe(30);
    expect(checkpoint?.takenAt).toBe(3000);
    expect(checkpoint?.state).toEqual({ vehicles: new Map([['VH-1', 3]]) });
  });

  it('still reads a checkpoint written without the next and takenAt headers', async () => {
    const bus = uncompactedBus();
    await bus.produce([{
      topic: BUS_TOPICS.checkpoints, key: `g|${slot.topic}#1`, value: encodeSnapshot({ next: 40, state: { n: -Infinity }, takenAt: 7 }),
      headers: { 'fw-kind': 'checkpoint' },
    }]);
    const checkpoint = (await createCheckpointStore(bus).load('g')).get(`${slot.topic}#1`);
    expect(checkpoint).toMatchObject({ next: 40, takenAt: 7 });
    expect(checkpoint?.state).toEqual({ n: -Infinity });
  });
});
