import { parseMessageId } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { contentMessageId, createEdgeEpoch, createMessageIds } from './message-ids.js';

describe('edge message ids', () => {
  it('draws a fresh valid epoch per start', () => {
    const epochs = new Set(Array.from({ length: 50 }, () => createEdgeEpoch()));
    expect(epochs.size).toBe(50);
    for (const epoch of epochs) expect(epoch).toMatch(/^[A-Za-z0-9]{1,32}$/);
  });

  it('counts per id from 0 within the epoch', () => {
    const ids = createMessageIds('abc');
    expect([ids.next('VH-1'), ids.next('VH-1'), ids.next('CH-1'), ids.next('VH-1')]).toEqual(['VH-1:abc:0', 'VH-1:abc:1', 'CH-1:abc:0', 'VH-1:abc:2']);
    expect(parseMessageId(ids.next('VH-1'))).toEqual({ deviceId: 'VH-1', epoch: 'abc', seq: 3 });
  });

  it('names a message by device, topic and bytes: the same bytes again get the same valid id', () => {
    const topic = 'fleetwire/v1/vehicle/VH-1/telemetry';
    const bytes = Buffer.from('{"v":1,"ts":1764633600000,"socPct":80}');
    const id = contentMessageId('VH-1', topic, bytes);
    expect(parseMessageId(id)).toEqual({ deviceId: 'VH-1', epoch: expect.stringMatching(/^c[0-9a-f]{31}$/), seq: 0 });
    expect(contentMessageId('VH-1', topic, Buffer.from(bytes))).toBe(id);
    const others = [
      contentMessageId('VH-1', topic, Buffer.from('{"v":1,"ts":1764633600001,"socPct":80}')),
      contentMessageId('VH-1', 'fleetwire/v1/vehicle/VH-1/events', bytes),
      contentMessageId('VH-2', topic.replace('VH-1', 'VH-2'), bytes),
    ];
    expect(new Set([id, ...others]).size).toBe(4);
  });
});
