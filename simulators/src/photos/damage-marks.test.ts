import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../random/random.js';
import { composeCarScene, type CarGeometry } from './car-scene.js';
import { drawDamage } from './damage-marks.js';

/** Luminance (0..1) of the first stroke colour in a mark's SVG. */
function strokeLuminance(svg: string): number {
  const colour = /stroke="(#[0-9a-f]{6}|rgb\((\d+),(\d+),(\d+)\))"/i.exec(svg);
  if (colour === null) throw new Error(`no stroke in ${svg}`);
  const [r, g, b] = colour[2] === undefined
    ? [1, 3, 5].map((i) => parseInt((colour[1] as string).slice(i, i + 2), 16))
    : [colour[2], colour[3], colour[4]].map(Number);
  return (0.2126 * (r as number) + 0.7152 * (g as number) + 0.0722 * (b as number)) / 255;
}

describe('drawDamage: cracks', () => {
  it('stay in the glass or a bumper corner and always contrast with what they are in', () => {
    const seen = { glass: 0, darkBumper: 0, lightBumper: 0 };
    for (let seed = 1; seed <= 80; seed++) {
      const { geometry } = composeCarScene(createRandom(seed), 256, 192);
      for (const paint of [0.12, 0.85]) {
        const mark = drawDamage(createRandom(1000 + seed), 'crack', geometry, paint, 0);
        const inGlass = mark.extent.every((p) => p.y <= geometry.beltY);
        const onBumper = mark.extent.every((p) => p.y >= geometry.beltY + 8 && Math.abs(p.x) >= geometry.halfLength - 14);
        expect(inGlass || onBumper).toBe(true);
        const lum = strokeLuminance(mark.svg);
        if (inGlass) {
          // Broken glass catches the light against the dark pane, whatever the paint.
          expect(lum).toBeGreaterThan(0.8);
          seen.glass += 1;
        } else if (paint < 0.5) {
          // Stress-whitened plastic on dark paint: a dark gap there would be invisible.
          expect(lum).toBeGreaterThan(0.75);
          seen.darkBumper += 1;
        } else {
          expect(lum).toBeLessThan(0.1);
          seen.lightBumper += 1;
        }
      }
    }
    expect(seen.glass).toBeGreaterThan(60);
    expect(seen.darkBumper).toBeGreaterThan(5);
    expect(seen.lightBumper).toBeGreaterThan(5);
  });
});

describe('drawDamage: scratches', () => {
  it('stay in the paint: between belt line and sill, inside the body, off the wheel arches', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { geometry: g } = composeCarScene(createRandom(seed), 256, 192);
      const mark = drawDamage(createRandom(2000 + seed), 'scratch', g, seed % 2 === 0 ? 0.12 : 0.85, 0);
      expect(mark.extent.length).toBeGreaterThanOrEqual(3);
      for (const p of mark.extent) {
        expect(p.y).toBeGreaterThanOrEqual(g.beltY + 2);
        expect(p.y).toBeLessThanOrEqual(g.sillY - 2);
        expect(Math.abs(p.x)).toBeLessThanOrEqual(g.halfLength);
        for (const w of g.wheelX) expect(Math.hypot(p.x - w, p.y - (40 - g.wheelRadius))).toBeGreaterThan(g.wheelRadius + 5);
      }
    }
  });
});

/** Luminance (0..1) of the pixel at local point (x, y) of a body drawn at `scale` pixels per local unit. */
async function rasteriseBody(svg: string, g: CarGeometry, scale: number): Promise<(x: number, y: number) => number> {
  const [x0, y0, w, h] = [-g.halfLength - 2, g.beltY - 2, 2 * g.halfLength + 4, g.sillY - g.beltY + 4];
  const width = Math.round(w * scale);
  const height = Math.round(h * scale);
  const { data } = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="${x0} ${y0} ${w} ${h}">${svg}</svg>`))
    .flatten({ background: '#808080' }).raw().toBuffer({ resolveWithObject: true });
  return (x, y) => {
    const i = (Math.round((y - y0) * scale) * width + Math.round((x - x0) * scale)) * 3;
    return (0.2126 * (data[i] as number) + 0.7152 * (data[i + 1] as number) + 0.0722 * (data[i + 2] as number)) / 255;
  };
}

/** Where the polyline crosses the horizontal line at y. */
function crossings(points: ReadonlyArray<{ x: number; y: number }>, y: number): number[] {
  const xs: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1] as { x: number; y: number }, points[i] as { x: number; y: number }];
    if ((a.y - y) * (b.y - y) < 0) xs.push(a.x + ((y - a.y) / (b.y - a.y)) * (b.x - a.x));
  }
  return xs;
}

describe('drawDamage: a scratch crossing the reflection band', () => {
  it('breaks the band (a matte groove), on dark paint too, where a light scratch on a light band would not show', async () => {
    const scale = 8;
    let crossed = 0;
    for (let seed = 1; seed <= 200 && crossed < 12; seed++) {
      const scene = composeCarScene(createRandom(seed), 256, 192);
      const g = scene.geometry;
      if (scene.bodyLuminance >= 0.35) continue;
      const mark = drawDamage(createRandom(3000 + seed), 'scratch', g, scene.bodyLuminance, 0);
      const band = g.reflection.y;
      const bare = await rasteriseBody(scene.carBody, g, scale);
      const marked = await rasteriseBody(scene.carBody + mark.svg, g, scale);
      // The darkest pixel of the band (clear of its soft edges) within 3 units of the crossing.
      const half = g.reflection.width / 2 - 0.3;
      const along = (lum: (x: number, y: number) => number, x: number): number => {
        let darkest = 1;
        for (let dx = -3; dx <= 3; dx += 1 / scale) {
          for (let dy = -half; dy <= half; dy += 1 / scale) darkest = Math.min(darkest, lum(x + dx, band + dy));
        }
        return darkest;
      };
      for (const x of crossings(mark.extent, band)) {
        // Where a door gap or a handle already darkens the band, the crossing says nothing.
        if (along(bare, x) < bare(x, band) - 0.05) continue;
        expect(along(marked, x)).toBeLessThan(along(bare, x) - 0.08);
        crossed += 1;
      }
    }
    expect(crossed).toBeGreaterThanOrEqual(12);
  });
});
