/**
 * Damage marks drawn in the car's local units, so they follow the body through pose jitter:
 * scratches (thin jagged lines contrasting with the paint, in a matte groove), dents (the panel's reflection band
 * bent into the hollow, a shading edge along the upper rim and a highlight along the lower) and
 * cracks (branching lines, in the side glass or on a bumper corner). Each mark reports its local bounding box for the ground-truth labels.
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
    case 'crack': return drawCrack(random, geometry, bodyLuminance, index);
  }
}

/** Paint dark enough that a mark cutting through it shows light (scratch, cracked bumper). */
function darkPaint(bodyLuminance: number): boolean {
  return bodyLuminance < 0.55;
}

/** Whether a point lies on a body panel: between belt line and sill, clear of the body's ends and the wheel arches. */
function onPanel(g: CarGeometry, p: Point, margin: number): boolean {
  return Math.abs(p.x) <= g.halfLength - margin
    && p.y >= g.beltY + 2 + margin * 0.3 && p.y <= g.sillY - 2 - margin * 0.3
    && g.wheelX.every((w) => Math.hypot(p.x - w, p.y - (40 - g.wheelRadius)) > g.wheelRadius + 5 + margin * 0.3);
}

/** A point on a body panel (see onPanel). */
function panelPoint(random: Random, g: CarGeometry, margin: number): Point {
  for (;;) {
    const p = { x: random.range(-g.halfLength + margin, g.halfLength - margin), y: random.range(g.beltY + 2 + margin * 0.3, g.sillY - 2 - margin * 0.3) };
    if (onPanel(g, p, margin)) return p;
  }
}

function drawScratch(random: Random, g: CarGeometry, bodyLuminance: number): DamageMark {
  // A scratch is in the paint: it ends where the panel does (a wheel arch, the body's end, the
  // belt line, the sill) instead of running on across a tyre, or along the body's edge where it
  // would read as a cracked bumper corner. Started too close to an end, it runs the other way.
  let points: Point[] = [];
  while (points.length < 3) {
    const start = panelPoint(random, g, 6);
    const heading = random.range(-0.6, 0.6) + (random.chance(0.5) ? 0 : Math.PI);
    const steps = random.int(4, 9);
    points = scratchWalk(random, g, start, heading, steps);
    if (points.length < 3) points = scratchWalk(random, g, start, heading + Math.PI, steps);
  }
  // A scratch is seen because it cuts through the paint: exposed primer or metal reads lighter
  // on dark paint and darker on light paint. A light scratch on white paint would be a mark
  // nobody (and no model) can see, labelled as damage all the same — so it is never drawn.
  const colour = darkPaint(bodyLuminance)
    ? `rgb(${random.int(215, 255)},${random.int(215, 255)},${random.int(210, 250)})`
    : `rgb(${random.int(40, 90)},${random.int(40, 90)},${random.int(40, 90)})`;
  const width = random.range(0.9, 2.0);
  const opacity = random.range(0.75, 1);
  // The groove's walls are matte and face away from the light: a dark rim along the cut. On
  // plain paint it hardly shows, but where the scratch crosses the panel's reflection band it
  // breaks the band, as a groove does — drawn light on a light band alone, a scratch along the
  // band would be a mark nobody (and no model) can see, or one that reads as a dent's bent
  // reflection.
  const groove = width + random.range(0.9, 1.5);
  const grooveOpacity = random.range(0.45, 0.65);
  const lines = [polyline(points)];
  if (random.chance(0.4)) {
    const dy = random.range(2, 4);
    lines.push(polyline(points.slice(1).map((q) => ({ x: q.x + random.range(-1, 1), y: q.y + dy }))));
  }
  const stroke = (d: string, paint: string, strokeOpacity: number, strokeWidth: number): string =>
    `<path d="${d}" fill="none" stroke="${paint}" stroke-opacity="${strokeOpacity.toFixed(2)}" stroke-width="${strokeWidth.toFixed(2)}" stroke-linecap="round" stroke-linejoin="round"/>`;
  const svg = lines.map((d) => stroke(d, '#000', grooveOpacity, groove) + stroke(d, colour, opacity, width)).join('');
  return { kind: 'scratch', svg, extent: points };
}

/** Up to `steps` jagged strokes from `start` along `heading`, stopping where the next would leave the panel. */
function scratchWalk(random: Random, g: CarGeometry, start: Point, heading: number, steps: number): Point[] {
  const points = [start];
  let p = start;
  for (let i = 0; i < steps; i++) {
    const len = random.range(4, 11);
    const a = heading + random.range(-0.35, 0.35);
    p = { x: p.x + Math.cos(a) * len, y: p.y + Math.sin(a) * len };
    if (!onPanel(g, p, 0)) break;
    points.push(p);
  }
  return points;
}

function drawDent(random: Random, g: CarGeometry, bodyLuminance: number, index: number): DamageMark {
  // A dent is seen by what it does to the light, not by a change of colour: the horizon's
  // reflection in the panel bends into the hollow, and under light from above the rim's upper
  // inner wall (facing down) falls into shadow while the lower one (facing up) catches a
  // highlight. Most dents that get reported sit where a reflection crosses them.
  const rx = random.range(7, 14);
  const ry = random.range(5, 9);
  const band = g.reflection;
  const onBand = random.chance(0.75);
  let c = panelPoint(random, g, 10);
  while (onBand && Math.abs(c.y - band.y) > ry * 0.6) c = panelPoint(random, g, 10);
  const angle = random.range(-25, 25);
  const light = bodyLuminance < 0.35;
  const shadow = (light ? 0.35 : 0.5) + random.range(0, 0.25);
  const highlight = (light ? 0.5 : 0.35) + random.range(0, 0.25);
  const id = `dent${index}`;
  const at = (n: number): string => n.toFixed(2);
  const rim = (rxs: number, rys: number, upper: boolean): string =>
    `M ${at(c.x - rxs)} ${at(c.y)} A ${at(rxs)} ${at(rys)} 0 0 ${upper ? 1 : 0} ${at(c.x + rxs)} ${at(c.y)}`;
  const parts = [
    // The hollow's walls curve smoothly, so its shading fades over a fraction of its size:
    // a crisp light arc would be a line drawn on the paint, and read as a scratch.
    `<defs><filter id="${id}" x="-50%" y="-50%" width="200%" height="200%"><feGaussianBlur stdDeviation="${at(ry * random.range(0.12, 0.22))}"/></filter></defs>`,
    `<g filter="url(#${id})" transform="rotate(${at(angle)} ${at(c.x)} ${at(c.y)})">`,
    `<path d="${rim(rx * 0.85, ry * 0.8, true)}" fill="none" stroke="#000" stroke-opacity="${at(shadow)}" stroke-width="${at(ry * random.range(0.3, 0.5))}" stroke-linecap="round"/>`,
    `<path d="${rim(rx * 0.8, ry * 0.75, false)}" fill="none" stroke="#fff" stroke-opacity="${at(highlight)}" stroke-width="${at(ry * random.range(0.2, 0.35))}" stroke-linecap="round"/>`,
    '</g>',
  ];
  let reach = ry;
  if (Math.abs(c.y - band.y) < ry) {
    // The straight band is painted over across the hollow and drawn again bent into it.
    const bend = (random.chance(0.7) ? 1 : -1) * ry * random.range(0.6, 1.2);
    const x0 = c.x - rx * 1.15;
    const x1 = c.x + rx * 1.15;
    parts.push(
      `<path d="M ${at(c.x - rx)} ${at(band.y)} L ${at(c.x + rx)} ${at(band.y)}" stroke="${g.paintAt(band.y)}" stroke-opacity="0.95" stroke-width="${at(band.width + 0.8)}"/>`,
      `<path d="M ${at(x0)} ${at(band.y)} C ${at(c.x - rx * 0.4)} ${at(band.y + bend)} ${at(c.x + rx * 0.4)} ${at(band.y + bend)} ${at(x1)} ${at(band.y)}" fill="none" stroke="#fff" stroke-opacity="${at(Math.min(0.9, band.opacity * 1.3))}" stroke-width="${at(band.width * random.range(0.6, 1))}"/>`,
    );
    reach = Math.max(reach, Math.abs(band.y + bend - c.y));
  }
  const r = Math.max(rx * 1.15, reach);
  return { kind: 'dent', svg: parts.join(''), extent: [{ x: c.x - r, y: c.y - reach }, { x: c.x + r, y: c.y + reach }] };
}

function drawCrack(random: Random, g: CarGeometry, bodyLuminance: number, index: number): DamageMark {
  // Glass and plastic crack; a steel or aluminium door dents or scratches instead, so a crack
  // starts in the side glass or on a bumper corner, never in the middle of a body panel. In
  // glass the broken faces catch the light and read bright against the dark pane. A cracked
  // bumper opens a dark gap on light paint; on dark paint what is seen is the plastic turned
  // white along the break (stress whitening) — a dark gap in dark paint would be a mark nobody
  // (and no model) can see, labelled as damage all the same. The crack stops where the pane or
  // the bumper ends.
  const onGlass = random.chance(0.75);
  const origin: Point = onGlass
    ? { x: random.range(g.window.x0 + 14, g.window.x1 - 14), y: random.range(g.window.top + 5, g.beltY - 8) }
    : bumperPoint(random, g);
  const area = onGlass ? windowOutline(g) : bumperOutline(g, origin.x > 0);
  const colour = onGlass
    ? `rgb(${random.int(215, 240)},${random.int(225, 245)},${random.int(230, 250)})`
    : bumperCrackColour(random, bodyLuminance);
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
  const id = `crack${index}`;
  const svg = `<defs><clipPath id="${id}"><path d="${polyline(area)} Z"/></clipPath></defs><g clip-path="url(#${id})">`
    + `<path d="${paths.join(' ')}" fill="none" stroke="${colour}" stroke-opacity="0.9" stroke-width="${width.toFixed(2)}" stroke-linecap="round"/>`
    + `<circle cx="${origin.x.toFixed(2)}" cy="${origin.y.toFixed(2)}" r="${random.range(1, 2).toFixed(2)}" fill="${colour}"/></g>`;
  return { kind: 'crack', svg, extent: clampToBox(extent, area) };
}

/** The side glass as car-scene draws it. */
function windowOutline(g: CarGeometry): Point[] {
  const w = g.window;
  const bottom = g.beltY - 5;
  return [{ x: w.x0, y: bottom }, { x: w.x0 + 11, y: w.top }, { x: w.x1 - 19, y: w.top - 1 }, { x: w.x1, y: bottom }];
}

/** The front or rear bumper corner: the last 14 units of the body below the lamps. */
function bumperOutline(g: CarGeometry, front: boolean): Point[] {
  const end = front ? g.halfLength : -g.halfLength;
  const inner = front ? end - 14 : end + 14;
  const top = g.beltY + 8;
  return [{ x: inner, y: top }, { x: end, y: top }, { x: end, y: g.sillY }, { x: inner, y: g.sillY }];
}

/** The label's extent stops where the clip does (its bounding box, which holds the outline). */
function clampToBox(points: readonly Point[], outline: readonly Point[]): Point[] {
  const xs = outline.map((p) => p.x);
  const ys = outline.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return points.map((p) => ({ x: Math.max(x0, Math.min(x1, p.x)), y: Math.max(y0, Math.min(y1, p.y)) }));
}

/** Contrasting with the paint, like a scratch: stress-whitened plastic on dark paint, a dark gap on light. */
function bumperCrackColour(random: Random, bodyLuminance: number): string {
  if (!darkPaint(bodyLuminance)) return '#141414';
  const grey = random.int(200, 235);
  return `rgb(${grey},${grey},${Math.min(255, grey + random.int(0, 8))})`;
}

/** A point well inside a bumper corner (see bumperOutline). */
function bumperPoint(random: Random, g: CarGeometry): Point {
  const inset = random.range(4, 10);
  const x = random.chance(0.5) ? g.halfLength - inset : -g.halfLength + inset;
  return { x, y: random.range(g.beltY + 12, g.sillY - 3) };
}

function polyline(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x.toFixed(2)} ${p.y.toFixed(2)}`).join(' ');
}
