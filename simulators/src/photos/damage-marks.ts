/**
 * Damage marks drawn in the car's local units, so they follow the body through pose jitter:
 * scratches (thin jagged lines contrasting with the paint), dents (shaded elliptical
 * gradients: a highlight on one rim, a shadow on the other) and cracks (branching lines, on the
 * glass or the body). Each mark reports its local bounding box for the ground-truth labels.
 */
import type { Random } from '../random/random.js';
import type { CarGeometry } from './car-scene.js';
import type { DamageKind } from './photo-spec.js';

export interface DamageMark {
  kind: DamageKind;
  svg: string;
  /** Local-unit points whose image-space bounding box is the label's region. */
  extent: Array<{ x: number; y: number }>;
}

interface Point { x: number; y: number }

export function drawDamage(
  random: Random, kind: DamageKind, geometry: CarGeometry, bodyLuminance: number, index: number,
): DamageMark {
  switch (kind) {
    case 'scratch': return drawScratch(random, geometry, bodyLuminance);
    case 'dent': return drawDent(random, geometry, bodyLuminance, index);
    case 'crack': return drawCrack(random, geometry);
  }
}

/** A point on a body panel: between belt line and sill, clear of the wheel arches. */
function panelPoint(random: Random, g: CarGeometry, margin: number): Point {
  for (;;) {
    const x = random.range(-g.halfLength + margin, g.halfLength - margin);
    const y = random.range(g.beltY + 2 + margin * 0.3, g.sillY - 2 - margin * 0.3);
    const clearOfArches = g.wheelX.every((w) => Math.hypot(x - w, y - (40 - g.wheelRadius)) > g.wheelRadius + 5 + margin * 0.3);
    if (clearOfArches) return { x, y };
  }
}

function drawScratch(random: Random, g: CarGeometry, bodyLuminance: number): DamageMark {
  const start = panelPoint(random, g, 6);
  const heading = random.range(-0.6, 0.6) + (random.chance(0.5) ? 0 : Math.PI);
  const steps = random.int(4, 9);
  const points: Point[] = [start];
  let p = start;
  for (let i = 0; i < steps; i++) {
    const len = random.range(4, 11);
    const a = heading + random.range(-0.35, 0.35);
    p = {
      x: Math.max(-g.halfLength + 2, Math.min(g.halfLength - 2, p.x + Math.cos(a) * len)),
      y: Math.max(g.beltY + 1, Math.min(g.sillY - 1, p.y + Math.sin(a) * len)),
    };
    points.push(p);
  }
  // Exposed primer or metal reads lighter on dark paint and darker on light paint.
  const light = bodyLuminance < 0.55 ? true : random.chance(0.15);
  const colour = light ? `rgb(${random.int(215, 255)},${random.int(215, 255)},${random.int(210, 250)})` : `rgb(${random.int(40, 90)},${random.int(40, 90)},${random.int(40, 90)})`;
  const width = random.range(0.9, 2.0);
  const opacity = random.range(0.75, 1);
  const lines = [polyline(points)];
  if (random.chance(0.4)) {
    const dy = random.range(2, 4);
    lines.push(polyline(points.slice(1).map((q) => ({ x: q.x + random.range(-1, 1), y: q.y + dy }))));
  }
  const svg = lines.map((d) => `<path d="${d}" fill="none" stroke="${colour}" stroke-opacity="${opacity.toFixed(2)}" stroke-width="${width.toFixed(2)}" stroke-linecap="round" stroke-linejoin="round"/>`).join('');
  return { kind: 'scratch', svg, extent: points };
}

function drawDent(random: Random, g: CarGeometry, bodyLuminance: number, index: number): DamageMark {
  const c = panelPoint(random, g, 10);
  const rx = random.range(8, 16);
  const ry = random.range(5, 10);
  const angle = random.range(-30, 30);
  const lightSide = random.chance(0.5) ? 0.25 : 0.75;
  const shadowOpacity = (bodyLuminance < 0.3 ? 0.75 : 0.55) + random.range(0, 0.2);
  const id = `dent${index}`;
  // The focal point pushed to one side makes a crescent of shadow and one of highlight: the
  // look of a panel pushed in under light from above.
  const svg = `<defs><radialGradient id="${id}" cx="0.5" cy="0.5" r="0.5" fx="${lightSide}" fy="0.35">`
    + `<stop offset="0" stop-color="#fff" stop-opacity="${random.range(0.45, 0.7).toFixed(2)}"/>`
    + `<stop offset="0.45" stop-color="#888" stop-opacity="0"/>`
    + `<stop offset="0.8" stop-color="#000" stop-opacity="${shadowOpacity.toFixed(2)}"/>`
    + `<stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient></defs>`
    + `<ellipse cx="${c.x.toFixed(2)}" cy="${c.y.toFixed(2)}" rx="${rx.toFixed(2)}" ry="${ry.toFixed(2)}" transform="rotate(${angle.toFixed(1)} ${c.x.toFixed(2)} ${c.y.toFixed(2)})" fill="url(#${id})"/>`;
  const r = Math.max(rx, ry);
  return { kind: 'dent', svg, extent: [{ x: c.x - r, y: c.y - r }, { x: c.x + r, y: c.y + r }] };
}

function drawCrack(random: Random, g: CarGeometry): DamageMark {
  const onGlass = random.chance(0.65);
  const origin: Point = onGlass
    ? { x: random.range(g.window.x0 + 14, g.window.x1 - 14), y: random.range(g.window.top + 5, g.beltY - 8) }
    : panelPoint(random, g, 8);
  const colour = onGlass ? (random.chance(0.6) ? '#e9eef2' : '#101214') : '#141414';
  const paths: string[] = [];
  const extent: Point[] = [origin];
  const branches = random.int(3, 6);
  const grow = (from: Point, heading: number, depth: number): void => {
    let p = from;
    const pts = [p];
    const steps = random.int(2, 4);
    for (let i = 0; i < steps; i++) {
      const a = heading + random.range(-0.5, 0.5);
      const len = random.range(3, 8) / (depth + 1) * 1.6;
      p = { x: p.x + Math.cos(a) * len, y: p.y + Math.sin(a) * len };
      pts.push(p);
      extent.push(p);
      if (depth < 2 && random.chance(0.3)) grow(p, a + random.range(-1, 1), depth + 1);
    }
    paths.push(polyline(pts));
  };
  for (let b = 0; b < branches; b++) grow(origin, (2 * Math.PI * b) / branches + random.range(-0.4, 0.4), 0);
  const width = random.range(0.7, 1.3);
  const svg = `<path d="${paths.join(' ')}" fill="none" stroke="${colour}" stroke-opacity="0.9" stroke-width="${width.toFixed(2)}" stroke-linecap="round"/>`
    + `<circle cx="${origin.x.toFixed(2)}" cy="${origin.y.toFixed(2)}" r="${random.range(1, 2).toFixed(2)}" fill="${colour}"/>`;
  return { kind: 'crack', svg, extent };
}

function polyline(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x.toFixed(2)} ${p.y.toFixed(2)}`).join(' ');
}
