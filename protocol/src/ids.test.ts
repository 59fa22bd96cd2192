import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { formatMessageId, isDeviceId, isEpoch, isMessageId, isNodeId, parseMessageId } from './ids.js';

describe('device and node ids', () => {
  it('accepts 1–64 chars of [A-Za-z0-9_-]', () => {
    expect(isDeviceId('VH-0001')).toBe(true);
    expect(isDeviceId('a')).toBe(true);
    expect(isDeviceId('x'.repeat(64))).toBe(true);
    expect(isNodeId('node_1')).toBe(true);
  });

  it.each(['', 'x'.repeat(65), 'VH 1', 'VH:1', 'VH/1', 'VH+1', 'VH#', 'vé-1', 42, null])('refuses %j', (id) => {
    expect(isDeviceId(id)).toBe(false);
  });

  it('epochs are 1–32 alphanumerics', () => {
    expect(isEpoch('b00t1')).toBe(true);
    expect(isEpoch('x'.repeat(33))).toBe(false);
    expect(isEpoch('boot-1')).toBe(false);
    expect(isEpoch('')).toBe(false);
  });
});

describe('message ids', () => {
  it.each([
    { deviceId: 'VH-0001', epoch: 'b00t1', seq: 0 },
    { deviceId: 'CH_9', epoch: 'Z', seq: 1234567 },
    { deviceId: 'n', epoch: 'e', seq: Number.MAX_SAFE_INTEGER },
  ])('round-trips %j', (parts) => {
    const id = formatMessageId(parts);
    expect(id).toBe(`${parts.deviceId}:${parts.epoch}:${parts.seq}`);
    expect(parseMessageId(id)).toEqual(parts);
    expect(isMessageId(id)).toBe(true);
  });

  it.each([
    'VH-0001:b00t1',
    'VH-0001:b00t1:1:2',
    'VH-0001:b00t1:-1',
    'VH-0001:b00t1:01',
    'VH-0001:b00t1:1.5',
    'VH-0001:b00t-1:1',
    ':b00t1:1',
    'VH 1:b00t1:1',
    'VH-0001:b00t1:99999999999999999',
    '',
  ])('parseMessageId refuses %j', (id) => {
    expect(parseMessageId(id)).toBeUndefined();
  });

  it('parseMessageId refuses non-strings', () => {
    expect(parseMessageId(42)).toBeUndefined();
    expect(parseMessageId(undefined)).toBeUndefined();
  });

  it.each([
    { deviceId: 'VH:1', epoch: 'b', seq: 1 },
    { deviceId: 'VH-1', epoch: 'b-1', seq: 1 },
    { deviceId: 'VH-1', epoch: 'b', seq: -1 },
    { deviceId: 'VH-1', epoch: 'b', seq: 1.5 },
  ])('formatMessageId throws a ProtocolError on %j', (parts) => {
    expect(() => formatMessageId(parts)).toThrow(ProtocolError);
    try {
      formatMessageId(parts);
    } catch (error) {
      expect((error as ProtocolError).code).toBe('FW_PROTOCOL_INVALID_ARGUMENT');
      expect((error as ProtocolError).canRetry).toBe(false);
    }
  });
});
