import { describe, expect, it } from 'vitest';
import { historyPointOf } from './history-point.js';
import { createHistoryWindow } from './history-window.js';
import { reading, T0 } from '../../test/support/fleet-records.js';

describe('history window', () => {
  it('keeps the newest points per vehicle in time order, merges a re-delivered one, drops what a full window holds newer', () => {
    const window = createHistoryWindow(3);
    for (const at of [T0 + 3000, T0 + 1000, T0 + 2000]) window.add('VH-1', { at, socPct: at - T0 });
    window.add('VH-1', { at: T0 + 2000, speedKph: 7 });
    expect(window.between('VH-1', 0, Infinity)).toEqual([{ at: T0 + 1000, socPct: 1000 }, { at: T0 + 2000, socPct: 2000, speedKph: 7 }, { at: T0 + 3000, socPct: 3000 }]);
    window.add('VH-1', { at: T0 + 500, socPct: 1 });
    window.add('VH-1', { at: T0 + 4000, socPct: 4000 });
    expect(window.between('VH-1', 0, Infinity).map((p) => p.at - T0)).toEqual([2000, 3000, 4000]);
    expect(window.between('VH-1', T0 + 2500, T0 + 3500).map((p) => p.at - T0)).toEqual([3000]);
    expect(window.between('VH-2', 0, Infinity)).toEqual([]);
  });

  it('charts the quantities a reading carries and nothing for a reading without any', () => {
    const full = reading('VH-1', 1, T0, { socPct: 55, speedKph: 12, battery: { tempC: 31 }, tyresKpa: { fl: 230, rr: 228 } });
    expect(historyPointOf(full)).toEqual({ at: T0, socPct: 55, speedKph: 12, batteryTempC: 31, tyreFlKpa: 230, tyreRrKpa: 228 });
    const bare = reading('VH-1', 2, T0);
    const { socPct: _soc, speedKph: _speed, battery: _battery, tyresKpa: _tyres, ...rest } = bare.payload;
    expect(historyPointOf({ ...bare, payload: rest })).toBeUndefined();
  });
});
