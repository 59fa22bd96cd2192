/**
 * Effects applied to the rasterised RGB pixels: the camera (light level, colour cast, sensor
 * noise) and, for fraud photos, the look of a car photographed off a screen (moiré beat bands,
 * the sub-pixel grid, scanlines, glare, a lifted black level). Pixels are interleaved RGB bytes.
 */
import type { Random } from '../random/random.js';

export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export function applyCamera(random: Random, image: RawImage): void {
  const level = random.range(0.6, 1.2);
  const cast = [random.range(0.9, 1.1), random.range(0.93, 1.07), random.range(0.88, 1.12)];
  const noise = random.range(1.5, 7);
  const { data } = image;
  for (let i = 0; i < data.length; i++) {
    const gain = level * (cast[i % 3] as number);
    data[i] = clamp((data[i] as number) * gain + random.normal(0, noise));
  }
}

export interface ScreenLook {
  moire: boolean;
  grid: boolean;
  scanlines: boolean;
  glare: boolean;
}

/** Picks at least two of the screen artefacts, so no single cue defines "screen". */
export function pickScreenLook(random: Random): ScreenLook {
  for (;;) {
    const look = { moire: random.chance(0.7), grid: random.chance(0.6), scanlines: random.chance(0.5), glare: random.chance(0.5) };
    if (Object.values(look).filter(Boolean).length >= 2) return look;
  }
}

export function applyScreen(random: Random, image: RawImage, look: ScreenLook): void {
  const { data, width, height } = image;
  const moire = look.moire ? {
    amp: random.range(0.07, 0.18),
    fx: random.range(0.04, 0.16) * (random.chance(0.5) ? 1 : -1),
    fy: random.range(0.02, 0.12),
    warp: random.range(0, 6),
    wf: random.range(0.01, 0.04),
    phase: random.range(0, 2 * Math.PI),
  } : null;
  const gridPeriod = random.int(2, 4);
  const gridAmp = random.range(0.1, 0.25);
  const scanPeriod = random.int(2, 5);
  const scanAmp = random.range(0.08, 0.22);
  const glare = look.glare ? {
    x: random.range(0.1, 0.9) * width, y: random.range(0.1, 0.7) * height,
    r: random.range(0.15, 0.45) * width, strength: random.range(90, 200),
  } : null;
  const blackLift = random.range(10, 35);
  const contrast = random.range(0.7, 0.9);
  const tint = [random.range(0.9, 1.0), random.range(0.95, 1.05), random.range(1.0, 1.12)];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let gain = 1;
      if (moire) {
        const t = 2 * Math.PI * (moire.fx * x + moire.fy * y) + moire.warp * Math.sin(2 * Math.PI * moire.wf * y) + moire.phase;
        gain *= 1 + moire.amp * Math.cos(t);
      }
      if (look.scanlines && y % scanPeriod === 0) gain *= 1 - scanAmp;
      if (look.grid && (x % gridPeriod === 0 || y % gridPeriod === 0)) gain *= 1 - gridAmp;
      let add = blackLift;
      if (glare) {
        const d = Math.hypot(x - glare.x, y - glare.y) / glare.r;
        if (d < 1) add += glare.strength * (1 - d) * (1 - d);
      }
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = data[o + c] as number;
        // Sub-pixel stripes: each channel is dimmed on the columns that belong to the others.
        const stripe = look.grid && x % 3 !== c ? 1 - gridAmp * 0.5 : 1;
        data[o + c] = clamp((v * contrast * gain * stripe + add) * (tint[c] as number));
      }
    }
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
