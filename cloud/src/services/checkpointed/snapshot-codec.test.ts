import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';

describe('snapshot codec', () => {
  it('gives back Maps (nested, in arrays and as values), Sets, non-finite numbers and plain data', () => {
    const state = {
      next: 42,
      vehicles: new Map<string, unknown>([
        ['VH-1', { socPct: 80, lastSeen: -Infinity, connectors: new Map([[1, { status: 'Charging' }]]), dtcs: ['P0001'] }],
        ['VH-2', { socPct: null, lastSeen: 1767225600000, connectors: new Map(), dtcs: [] }],
      ]),
      recent: [new Map([['a', Infinity]]), 'text', 3.5, true],
      seenByDay: new Map([['2026-12-07', new Set(['VH-1', 'VH-2'])]]),
    };
    const decoded = decodeSnapshot(encodeSnapshot(state)) as typeof state;
    expect(decoded.vehicles).toBeInstanceOf(Map);
    expect(decoded.vehicles).toEqual(state.vehicles);
    expect((decoded.vehicles.get('VH-1') as { connectors: Map<number, unknown> }).connectors.get(1)).toEqual({ status: 'Charging' });
    expect((decoded.vehicles.get('VH-1') as { lastSeen: number }).lastSeen).toBe(-Infinity);
    expect(decoded.recent).toEqual([new Map([['a', Infinity]]), 'text', 3.5, true]);
    expect(decoded.seenByDay.get('2026-12-07')).toEqual(new Set(['VH-1', 'VH-2']));
    expect(decoded.next).toBe(42);
  });

  it('keeps a `__proto__` key of the data a plain property', () => {
    const decoded = decodeSnapshot(encodeSnapshot(JSON.parse('{"byId":{"__proto__":{"polluted":true}}}'))) as { byId: Record<string, unknown> };
    expect(Object.hasOwn(decoded.byId, '__proto__')).toBe(true);
    expect((decoded.byId as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
