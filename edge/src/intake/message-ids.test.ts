import { parseMessageId } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { createEdgeEpoch, createMessageIds } from './message-ids.js';

describe('edge message ids', () => {
  it('draws a fresh valid epoch per start', () => {
    const epochs = new Set(Array.from({ length: 50 }, () => createEdgeEpoch()));
    expect(epochs.size).toBe(50);
    for (const epoch of epochs) expect(epoch).toMatch(/^[A-Za-z0-9]{1,32}$/);
  });

  it('counts per device from 0 within the epoch', () => {
    const ids = createMessageIds('abc');
    expect([ids.next('VH-1'), ids.next('VH-1'), ids.next('CH-1'), ids.next('VH-1')]).toEqual(['VH-1:abc:0', 'VH-1:abc:1', 'CH-1:abc:0', 'VH-1:abc:2']);
    expect(parseMessageId(ids.next('VH-1'))).toEqual({ deviceId: 'VH-1', epoch: 'abc', seq: 3 });
  });
});
