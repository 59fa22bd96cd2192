import { parseMessageId } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { contentMessageId, ruleEventId } from './message-ids.js';

describe('edge message ids', () => {
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

  it('names a rule event by node, rule and the record that fired it', () => {
    const id = ruleEventId('node-1', 'BatteryLow', 'VH-1:b00t1:7');
    expect(parseMessageId(id)).toEqual({ deviceId: 'node-1', epoch: expect.stringMatching(/^r[0-9a-f]{31}$/), seq: 0 });
    expect(ruleEventId('node-1', 'BatteryLow', 'VH-1:b00t1:7')).toBe(id);
    const others = [ruleEventId('node-1', 'BatteryLow', 'VH-1:b00t1:8'), ruleEventId('node-1', 'ChargerFaulted', 'VH-1:b00t1:7'), ruleEventId('node-2', 'BatteryLow', 'VH-1:b00t1:7')];
    expect(new Set([id, ...others]).size).toBe(4);
  });
});
