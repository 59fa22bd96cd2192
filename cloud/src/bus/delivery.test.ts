import { describe, expect, it } from 'vitest';
import { CloudError } from '../errors.js';
import type { BusMessage, DeliveredMessage } from './bus.js';
import { deliverBatch, type DeliveryContext } from './delivery.js';

const record = (offset: number): DeliveredMessage => ({
  topic: 't', partition: 0, offset: String(offset), key: 'VH-1', value: Buffer.from(`v${offset}`), headers: { 'fw-id': `VH-1:e:${offset}` },
});

function context(handle: DeliveryContext['handle'], letters: BusMessage[], owned = () => true): DeliveryContext {
  return {
    groupId: 'g', handle, progress: { heartbeat: async () => undefined, endOffset: '0' }, owned,
    pause: async () => undefined,
    deadLetter: async (messages) => void letters.push(...messages),
    failed: () => undefined, deadLettered: () => undefined,
  };
}

const policy = { maxHandlerAttempts: 3, retryInitialMs: 1, retryMaxMs: 1 };

describe('deliverBatch', () => {
  it('retries a retryable failure for as long as it lasts and dead-letters nothing', async () => {
    let calls = 0;
    const letters: BusMessage[] = [];
    const done = await deliverBatch([record(0), record(1)], policy, context(async () => {
      calls += 1;
      if (calls <= 20) throw new CloudError('FW_TSDB_WRITE_FAILED', 'tsdb down', { canRetry: true });
    }, letters));
    expect(done).toEqual({ kind: 'done', commit: true });
    expect(calls).toBe(21);
    expect(letters).toEqual([]);
  });

  it('after maxHandlerAttempts splits the batch and dead-letters only the record that keeps failing', async () => {
    const handled: string[] = [];
    const letters: BusMessage[] = [];
    const done = await deliverBatch([record(0), record(1), record(2)], policy, context(async (batch) => {
      if (batch.some((m) => m.offset === '1')) throw new Error('bad record');
      handled.push(...batch.map((m) => m.offset));
    }, letters));
    expect(done).toEqual({ kind: 'done', commit: true });
    expect(handled).toEqual(['0', '2']);
    expect(letters.map((l) => l.headers['fw-id'])).toEqual(['VH-1:e:1']);
    expect(letters[0]?.headers['fw-reason']).toBe('handler_failed');
  });

  it('stops without committing when the partition is no longer owned', async () => {
    let owned = true;
    const letters: BusMessage[] = [];
    const done = await deliverBatch([record(0)], policy, context(async () => {
      owned = false;
      throw new Error('bad');
    }, letters, () => owned));
    expect(done).toEqual({ kind: 'lost' });
    expect(letters).toEqual([]);
  });
});
