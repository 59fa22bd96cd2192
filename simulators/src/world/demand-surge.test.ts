import { HOUR_MS } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import type { DemandSurge } from './demand-surge.js';
import { resolveWorldSettings } from './settings.js';
import { createWorld, stepWorld } from './world.js';

const START = Date.UTC(2025, 0, 15, 6);
const SURGE: DemandSurge = { siteId: 'site-02', from: START + 2 * HOUR_MS, to: START + 4 * HOUR_MS, factor: 30 };

/** Bookings of 6 simulated hours: booking time and site. */
function bookings(demandSurge: DemandSurge | null): Array<{ at: number; siteId: string }> {
  let world = createWorld({ seed: 11, startTime: START, vehicles: 8, chargers: 2, settings: resolveWorldSettings({ bookingsPerHour: 0.5, demandSurge }) });
  const booked: Array<{ at: number; siteId: string }> = [];
  for (let s = 0; s < 6 * 3600; s += 10) {
    const step = stepWorld(world, 10_000);
    world = step.world;
    for (const { emission } of step.emissions) {
      if (emission.channel === 'events' && emission.type === 'VehicleBooked') booked.push({ at: emission.at, siteId: (emission.data as { siteId: string }).siteId });
    }
  }
  return booked;
}

describe('a demand surge', () => {
  const normal = bookings(null);
  const surged = bookings(SURGE);
  const inSurge = (list: typeof normal) => list.filter((b) => b.at >= SURGE.from && b.at < SURGE.to && b.siteId === SURGE.siteId).length;

  it('changes nothing before it starts', () => {
    expect(surged.filter((b) => b.at < SURGE.from)).toEqual(normal.filter((b) => b.at < SURGE.from));
  });

  it('multiplies the bookings at its site while it lasts, the fleet drawn to the site', () => {
    expect(inSurge(surged)).toBeGreaterThanOrEqual(3 * Math.max(1, inSurge(normal)));
    expect(inSurge(surged)).toBeGreaterThanOrEqual(10);
  });

  it('refuses a site the city does not have, a factor below 1 and an empty window', () => {
    const world = (demandSurge: DemandSurge) => () => createWorld({ seed: 11, startTime: START, vehicles: 1, chargers: 0, settings: resolveWorldSettings({ demandSurge }) });
    expect(world({ ...SURGE, siteId: 'site-99' })).toThrow(/site-99 is not a site/);
    expect(world({ ...SURGE, factor: 0.5 })).toThrow(/factor must be ≥ 1/);
    expect(world({ ...SURGE, to: SURGE.from })).toThrow(/from < to/);
  });
});
