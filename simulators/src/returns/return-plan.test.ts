import { describe, expect, it } from 'vitest';
import { randomFor } from '../random/random.js';
import { planReturn, RETURN_INTENTS, type ReturnIntent } from './return-plan.js';

const AT = { position: { lat: 52.52, lon: 13.405 }, now: Date.UTC(2026, 0, 5, 12) };
const RATES = { damage: 0.2, fraud: 0.15 };

function plans(seed: number, count: number) {
  const rng = randomFor(seed, 'test');
  return Array.from({ length: count }, () => planReturn(rng, AT, 4, RATES));
}

describe('planReturn', () => {
  it('is fixed by the seed', () => {
    expect(JSON.stringify(plans(3, 20))).toBe(JSON.stringify(plans(3, 20)));
    expect(JSON.stringify(plans(4, 20))).not.toBe(JSON.stringify(plans(3, 20)));
  });

  it('draws damage and each fraud at about their rates', () => {
    const counts = Object.fromEntries(RETURN_INTENTS.map((i) => [i, 0])) as Record<ReturnIntent, number>;
    for (const plan of plans(11, 4000)) counts[plan.intent] += 1;
    expect(counts.damaged / 4000).toBeCloseTo(0.2, 1);
    expect((counts.reused_photo + counts.screen_photo + counts.taken_elsewhere) / 4000).toBeCloseTo(0.15, 1);
    for (const fraud of ['reused_photo', 'screen_photo', 'taken_elsewhere'] as const) expect(counts[fraud]).toBeGreaterThan(100);
  });

  it('marks exactly what each intent needs: one damaged, screen or re-used side, or every photo placed ~3 km away', () => {
    for (const { intent, photos } of plans(5, 300)) {
      expect(photos).toHaveLength(4);
      expect(photos.filter((p) => p.damage !== undefined).length).toBe(intent === 'damaged' ? 1 : 0);
      expect(photos.filter((p) => p.screen).length).toBe(intent === 'screen_photo' ? 1 : 0);
      expect(photos.filter((p) => p.reuse).length).toBe(intent === 'reused_photo' ? 1 : 0);
      const offM = (photos[0]!.gps.lat - AT.position.lat) * 111_320;
      expect(Math.round(offM)).toBe(intent === 'taken_elsewhere' ? 3000 : 0);
      for (const p of photos) expect(AT.now - p.takenAt.getTime()).toBeGreaterThanOrEqual(20_000);
    }
  });
});
