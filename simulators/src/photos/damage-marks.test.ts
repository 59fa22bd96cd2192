import { describe, expect, it } from 'vitest';
import { createRandom } from '../random/random.js';
import { composeCarScene } from './car-scene.js';
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
