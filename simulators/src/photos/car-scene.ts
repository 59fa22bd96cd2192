/**
 * Composes the SVG of one car seen from the side: background, ground, shadow, body, windows,
 * wheels and trim, with jittered proportions, colour, angle, scale and offset. The car is drawn
 * in local units (about 200 long, ground at y = 40) inside one transformed group, so damage
 * marks drawn in the same units land on the body whatever the pose.
 */
import type { Random } from '../random/random.js';

export interface CarGeometry {
  /** Half length of the body in local units. */
  halfLength: number;
  /** y of the sill (bottom of the body panels) and of the belt line (bottom of the windows). */
  sillY: number;
  beltY: number;
  roofY: number;
  /** Window polygon in local units, for cracks in the glass. */
  window: { x0: number; x1: number; top: number };
  wheelX: [number, number];
  wheelRadius: number;
  /**
   * The horizon reflected in the side panels: a light band along the body at this y. A dent
   * shows mostly as this band bent out of line, so the dents drawn on it need to know where it is.
   */
  reflection: { y: number; width: number; opacity: number };
  /** Paint colour at a local y (the body's vertical gradient), for marks that cover paint. */
  paintAt(y: number): string;
}

export interface CarPose {
  /** Local → image transform: translate(cx, cy) rotate(angleDeg) scale(scale * mirror, scale). */
  cx: number;
  cy: number;
  angleDeg: number;
  scale: number;
  mirror: 1 | -1;
}

export interface CarScene {
  geometry: CarGeometry;
  pose: CarPose;
  bodyColour: string;
  /** Relative luminance of the body colour, 0–1, so damage can contrast with the paint. */
  bodyLuminance: number;
  /** SVG markup drawn first, untransformed. */
  background: string;
  /** SVG markup in local units, to be wrapped in a group with `poseTransform(pose)`. */
  carBody: string;
}

const BODY_COLOURS: readonly string[] = [
  '#f2f2f0', '#1c1c1e', '#a9adb2', '#5d6166', '#b3121d', '#1d4f91',
  '#16264a', '#2f5d3a', '#e5c21b', '#d8641c', '#7a1f3d', '#8c7a5b',
];

export function composeCarScene(random: Random, width: number, height: number): CarScene {
  const bodyColour = random.pick(BODY_COLOURS);
  const beltY = random.range(-9, -3);
  const roofY = random.range(-44, -34);
  const sillY = random.range(26, 30);
  const geometry: CarGeometry = {
    halfLength: random.range(92, 104),
    sillY,
    beltY,
    roofY,
    window: { x0: random.range(-58, -44), x1: random.range(40, 54), top: roofY + 3.5 },
    wheelX: [random.range(-68, -58), random.range(56, 66)],
    wheelRadius: random.range(15.5, 19),
    reflection: { y: random.range(beltY + 5, beltY + 16), width: random.range(1.6, 3.2), opacity: random.range(0.25, 0.55) },
    paintAt: (y) => paintAt(bodyColour, roofY, sillY, y),
  };
  const carFraction = random.range(0.68, 0.9);
  const pose: CarPose = {
    scale: (width * carFraction) / (2 * geometry.halfLength),
    cx: width / 2 + random.range(-0.06, 0.06) * width,
    cy: height * random.range(0.5, 0.62),
    angleDeg: random.range(-5, 5),
    mirror: random.chance(0.5) ? 1 : -1,
  };
  const horizon = pose.cy + random.range(-10, 25) * pose.scale;
  return {
    geometry,
    pose,
    bodyColour,
    bodyLuminance: luminance(bodyColour),
    background: backgroundSvg(random, width, height, horizon),
    carBody: carSvg(random, geometry, bodyColour),
  };
}

export function poseTransform(pose: CarPose): string {
  return `translate(${f(pose.cx)} ${f(pose.cy)}) rotate(${f(pose.angleDeg)}) scale(${f(pose.scale * pose.mirror)} ${f(pose.scale)})`;
}

/** Maps a local point to upright image pixels (same transform as `poseTransform`). */
export function toImage(pose: CarPose, x: number, y: number): { x: number; y: number } {
  const a = (pose.angleDeg * Math.PI) / 180;
  const sx = x * pose.scale * pose.mirror;
  const sy = y * pose.scale;
  return { x: pose.cx + sx * Math.cos(a) - sy * Math.sin(a), y: pose.cy + sx * Math.sin(a) + sy * Math.cos(a) };
}

function backgroundSvg(random: Random, width: number, height: number, horizon: number): string {
  const parts: string[] = [];
  const kind = random.pick(['sky', 'wall', 'building', 'hedge'] as const);
  const top = kind === 'sky' ? hsl(random.range(195, 215), random.range(30, 70), random.range(62, 85))
    : kind === 'wall' ? hsl(random.range(20, 50), random.range(3, 20), random.range(55, 85))
      : kind === 'building' ? hsl(random.range(20, 40), random.range(10, 35), random.range(45, 75))
        : hsl(random.range(90, 130), random.range(25, 45), random.range(22, 40));
  const bottom = kind === 'sky' ? hsl(random.range(195, 215), random.range(10, 40), random.range(80, 95)) : top;
  parts.push(`<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient></defs>`);
  parts.push(`<rect width="${width}" height="${height}" fill="url(#bg)"/>`);
  if (kind === 'building') {
    const cols = random.int(3, 7);
    for (let i = 0; i < cols; i++) {
      const w = random.range(12, 26);
      parts.push(`<rect x="${f(random.range(0, width - w))}" y="${f(random.range(4, Math.max(6, horizon - 40)))}" width="${f(w)}" height="${f(random.range(12, 30))}" fill="${hsl(random.range(190, 220), 15, random.range(25, 45))}"/>`);
    }
  }
  if (kind === 'wall' && random.chance(0.5)) {
    // Regular brick courses: a periodic texture that is not a screen.
    const period = random.range(7, 14);
    for (let y = period; y < horizon; y += period) {
      parts.push(`<line x1="0" y1="${f(y)}" x2="${width}" y2="${f(y)}" stroke="#000" stroke-opacity="${f(random.range(0.08, 0.2))}" stroke-width="1"/>`);
    }
  }
  const ground = hsl(random.range(0, 40), random.range(0, 10), random.range(28, 55));
  parts.push(`<rect x="0" y="${f(horizon)}" width="${width}" height="${f(height - horizon)}" fill="${ground}"/>`);
  if (random.chance(0.4)) {
    // Parking-bay paint: bright straight lines on the ground, not damage.
    const count = random.int(1, 3);
    for (let i = 0; i < count; i++) {
      const x = random.range(0, width);
      parts.push(`<line x1="${f(x)}" y1="${f(horizon + 2)}" x2="${f(x + random.range(-60, 60))}" y2="${height}" stroke="#eeeeea" stroke-width="${f(random.range(2, 4))}"/>`);
    }
  }
  return parts.join('');
}

function carSvg(random: Random, g: CarGeometry, colour: string): string {
  const L = g.halfLength;
  const { sillY: sill, beltY: belt, roofY: roof } = g;
  const [rearWheel, frontWheel] = g.wheelX;
  const arch = g.wheelRadius + 3;
  const front = L;
  const rear = -L;
  const hoodY = belt + random.range(0, 5);
  const windshieldBase = g.window.x1 + random.range(4, 10);
  const rearWindowBase = g.window.x0 - random.range(4, 10);
  const body = [
    `M ${f(rear)} ${f(sill)}`,
    `L ${f(rear)} ${f(belt + 6)}`,
    `Q ${f(rear + 2)} ${f(belt - 2)} ${f(rear + 14)} ${f(belt - 3)}`,
    `L ${f(rearWindowBase)} ${f(belt - 4)}`,
    `L ${f(g.window.x0 + 10)} ${f(roof)}`,
    `L ${f(g.window.x1 - 18)} ${f(roof - 1)}`,
    `L ${f(windshieldBase)} ${f(belt - 3)}`,
    `L ${f(front - 8)} ${f(hoodY)}`,
    `Q ${f(front)} ${f(hoodY + 2)} ${f(front)} ${f(hoodY + 12)}`,
    `L ${f(front)} ${f(sill)}`,
    `L ${f(frontWheel + arch)} ${f(sill)}`,
    `A ${f(arch)} ${f(arch)} 0 0 0 ${f(frontWheel - arch)} ${f(sill)}`,
    `L ${f(rearWheel + arch)} ${f(sill)}`,
    `A ${f(arch)} ${f(arch)} 0 0 0 ${f(rearWheel - arch)} ${f(sill)}`,
    'Z',
  ].join(' ');
  const w = g.window;
  const glass = hsl(random.range(195, 220), random.range(10, 30), random.range(18, 45));
  const windowPath = `M ${f(w.x0)} ${f(belt - 5)} L ${f(w.x0 + 11)} ${f(w.top)} L ${f(w.x1 - 19)} ${f(w.top - 1)} L ${f(w.x1)} ${f(belt - 5)} Z`;
  const pillarX = (w.x0 + w.x1) / 2 + random.range(-6, 6);
  const door1 = pillarX - 1;
  const door2 = w.x0 + 2;
  const parts = [
    `<defs><linearGradient id="paint" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${shade(colour, 1.25)}"/><stop offset="0.45" stop-color="${colour}"/><stop offset="1" stop-color="${shade(colour, 0.7)}"/></linearGradient></defs>`,
    `<ellipse cx="0" cy="${f(sill + 12)}" rx="${f(L * 1.02)}" ry="5" fill="#000" fill-opacity="0.35"/>`,
    `<path d="${body}" fill="url(#paint)" stroke="${shade(colour, 0.55)}" stroke-width="0.8"/>`,
    `<clipPath id="body"><path d="${body}"/></clipPath>`,
    `<path d="M ${f(rear)} ${f(g.reflection.y)} L ${f(front)} ${f(g.reflection.y)}" stroke="#fff" stroke-opacity="${f(g.reflection.opacity)}" stroke-width="${f(g.reflection.width)}" clip-path="url(#body)"/>`,
    `<path d="${windowPath}" fill="${glass}"/>`,
    `<rect x="${f(pillarX - 2)}" y="${f(w.top)}" width="4" height="${f(belt - 5 - w.top)}" fill="${shade(colour, 0.5)}"/>`,
    // Panel gaps: legitimate thin dark lines that the damage model must learn to ignore.
    `<path d="M ${f(door1)} ${f(belt - 4)} L ${f(door1 + 1)} ${f(sill - 2)} M ${f(door2)} ${f(belt - 4)} L ${f(door2 - 2)} ${f(sill - 4)} M ${f(windshieldBase + 4)} ${f(belt - 3)} L ${f(windshieldBase + 2)} ${f(sill - 2)}" stroke="${shade(colour, 0.45)}" stroke-width="0.7" fill="none"/>`,
    `<rect x="${f(door1 - 14)}" y="${f(belt + 3)}" width="8" height="2" rx="1" fill="${shade(colour, 0.6)}"/>`,
    `<rect x="${f(windshieldBase - 14)}" y="${f(belt + 3)}" width="8" height="2" rx="1" fill="${shade(colour, 0.6)}"/>`,
    `<rect x="${f(front - 9)}" y="${f(hoodY + 2)}" width="8" height="5" rx="2" fill="#f4f1d8"/>`,
    `<rect x="${f(rear)}" y="${f(belt + 2)}" width="5" height="6" rx="1" fill="#a3141c"/>`,
    `<path d="M ${f(rear)} ${f(sill - 6)} L ${f(front)} ${f(sill - 6)}" stroke="${shade(colour, 0.8)}" stroke-width="0.6"/>`,
  ];
  for (const x of g.wheelX) parts.push(wheelSvg(random, x, 40 - g.wheelRadius, g.wheelRadius));
  return parts.join('');
}

function wheelSvg(random: Random, x: number, y: number, r: number): string {
  const rim = hsl(0, 0, random.range(55, 80));
  const spokes = random.int(4, 6);
  const start = random.range(0, 360);
  const lines: string[] = [];
  for (let i = 0; i < spokes; i++) {
    const a = ((start + (360 / spokes) * i) * Math.PI) / 180;
    lines.push(`M ${f(x)} ${f(y)} L ${f(x + Math.cos(a) * r * 0.55)} ${f(y + Math.sin(a) * r * 0.55)}`);
  }
  return `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r)}" fill="#1b1b1b"/>`
    + `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r * 0.6)}" fill="${rim}"/>`
    + `<path d="${lines.join(' ')}" stroke="#3a3a3a" stroke-width="${f(r * 0.12)}"/>`
    + `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r * 0.15)}" fill="#2a2a2a"/>`;
}

/** The body's paint gradient (objectBoundingBox, roof to sill: 1.25x at 0, the colour at 0.45, 0.7x at 1). */
function paintAt(colour: string, roofY: number, sillY: number, y: number): string {
  const t = Math.max(0, Math.min(1, (y - roofY) / (sillY - roofY)));
  const [from, to, u] = t < 0.45 ? [shadeRgb(colour, 1.25), channels(colour), t / 0.45] : [channels(colour), shadeRgb(colour, 0.7), (t - 0.45) / 0.55];
  const mix = from.map((c, i) => Math.round(c + ((to[i] as number) - c) * u));
  return `rgb(${mix.join(',')})`;
}

function f(n: number): string {
  return n.toFixed(2);
}

function hsl(h: number, s: number, l: number): string {
  return `hsl(${h.toFixed(1)},${s.toFixed(1)}%,${l.toFixed(1)}%)`;
}

function channels(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function shadeRgb(hex: string, factor: number): number[] {
  return channels(hex).map((c) => Math.max(0, Math.min(255, Math.round(c * factor + (factor > 1 ? 18 : 0)))));
}

export function shade(hex: string, factor: number): string {
  return `rgb(${shadeRgb(hex, factor).join(',')})`;
}

function luminance(hex: string): number {
  const [r, g, b] = channels(hex);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}
