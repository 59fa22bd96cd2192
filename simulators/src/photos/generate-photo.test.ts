import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { generatePhoto } from './generate-photo.js';
import { generateLabelledSet } from './labelled-set.js';

async function pixels(jpeg: Buffer): Promise<Buffer> {
  return sharp(jpeg).rotate().raw().toBuffer();
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

describe('generatePhoto', () => {
  it('is deterministic: the same spec gives the same bytes', async () => {
    const spec = { seed: 42, damage: ['scratch', 'dent'] as const, exif: { takenAt: new Date('2026-01-15T11:55:00Z'), gps: { lat: 52.5, lon: 13.4 } } };
    const [a, b] = await Promise.all([generatePhoto({ ...spec, damage: [...spec.damage] }), generatePhoto({ ...spec, damage: [...spec.damage] })]);
    expect(a.jpeg.equals(b.jpeg)).toBe(true);
    expect(a.labels).toEqual(b.labels);
    const other = await generatePhoto({ seed: 43 });
    expect(other.jpeg.equals(a.jpeg)).toBe(false);
  });

  it('labels damage by kind with boxes inside the frame', async () => {
    const { labels } = await generatePhoto({ seed: 7, damage: ['scratch', 'scratch', 'crack'] });
    expect(labels.damaged).toBe(true);
    expect(labels.damage).toEqual({ scratch: 2, dent: 0, crack: 1 });
    expect(labels.regions.map((r) => r.kind)).toEqual(['scratch', 'scratch', 'crack']);
    for (const { box } of labels.regions) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(256);
      expect(box.y + box.height).toBeLessThanOrEqual(192);
    }
    const clean = await generatePhoto({ seed: 7 });
    expect(clean.labels.damaged).toBe(false);
    expect(clean.labels.regions).toEqual([]);
  });

  it('draws damage on the same car: only pixels around the marks change', async () => {
    const clean = await pixels((await generatePhoto({ seed: 9, quality: 95 })).jpeg);
    const dented = await generatePhoto({ seed: 9, quality: 95, damage: ['dent'] });
    const diff = meanAbsDiff(clean, await pixels(dented.jpeg));
    expect(diff).toBeGreaterThan(0.05);
    expect(diff).toBeLessThan(3);
  });

  it('makes screen photos that differ strongly from the same scene photographed directly', async () => {
    const direct = await pixels((await generatePhoto({ seed: 10 })).jpeg);
    const screen = await generatePhoto({ seed: 10, screen: true });
    expect(screen.labels.screen).toBe(true);
    expect(meanAbsDiff(direct, await pixels(screen.jpeg))).toBeGreaterThan(8);
  });

  it('writes EXIF capture time, GPS and orientation, storing the pixels turned', async () => {
    const { jpeg, labels } = await generatePhoto({
      seed: 11, exif: { takenAt: new Date('2026-01-15T11:55:00Z'), gps: { lat: -33.8688, lon: 151.2093 }, orientation: 6 },
    });
    const meta = await sharp(jpeg).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([192, 256, 6]);
    const exif = meta.exif?.toString('latin1') ?? '';
    expect(exif).toContain('2026:01:15 11:55:00');
    expect(exif).toContain('S\0');
    expect(labels.exif).toEqual({ takenAt: '2026-01-15T11:55:00.000Z', gps: { lat: -33.8688, lon: 151.2093 }, orientation: 6 });
    const bare = await generatePhoto({ seed: 11 });
    expect((await sharp(bare.jpeg).metadata()).exif).toBeUndefined();
    expect(bare.labels.exif).toBeNull();
  });

  it('refuses sizes and orientations it cannot make', async () => {
    await expect(generatePhoto({ seed: 1, width: 10 })).rejects.toMatchObject({ code: 'FW_SIM_OPTIONS_INVALID' });
    await expect(generatePhoto({ seed: 1, exif: { orientation: 2 as never } })).rejects.toMatchObject({ code: 'FW_SIM_OPTIONS_INVALID' });
  });
});

describe('generateLabelledSet', () => {
  it('is reproducible, mixes the variants at the asked rates and labels re-used photos', async () => {
    const options = { seed: 5, count: 24, damageRate: 0.5, screenRate: 0.5, farGpsRate: 0.25, reuseRate: 0.2 };
    const [a, b] = await Promise.all([generateLabelledSet(options), generateLabelledSet(options)]);
    expect(a.map((p) => p.id)).toEqual(b.map((p) => p.id));
    expect(a.every((p, i) => p.jpeg.equals((b[i] as (typeof b)[number]).jpeg))).toBe(true);
    expect(new Set(a.map((p) => p.id)).size).toBe(24);
    const damaged = a.filter((p) => p.labels.damaged).length;
    const screens = a.filter((p) => p.labels.screen).length;
    expect(damaged).toBeGreaterThan(4);
    expect(damaged).toBeLessThan(20);
    expect(screens).toBeGreaterThan(4);
    expect(screens).toBeLessThan(20);
    const reused = a.filter((p) => p.labels.fraud.reuseOf !== null);
    expect(reused.length).toBeGreaterThan(0);
    for (const copy of reused) {
      const original = a.find((p) => p.id === copy.labels.fraud.reuseOf);
      expect(original?.labels.fraud.reuseOf).toBeNull();
      expect(copy.labels.damage).toEqual(original?.labels.damage);
    }
    const returnAt = Date.parse('2026-01-15T12:00:00Z');
    for (const p of a.filter((x) => x.labels.exif?.takenAt !== undefined)) {
      const age = returnAt - Date.parse(p.labels.exif?.takenAt as string);
      expect(age >= 2 * 3_600_000).toBe(p.labels.fraud.staleTime);
    }
  }, 60_000);

  it('rejects rates outside [0, 1] and a negative count', async () => {
    await expect(generateLabelledSet({ seed: 1, count: 1, screenRate: 1.5 })).rejects.toMatchObject({ code: 'FW_SIM_OPTIONS_INVALID' });
    await expect(generateLabelledSet({ seed: 1, count: -1 })).rejects.toMatchObject({ code: 'FW_SIM_OPTIONS_INVALID' });
  });
});
