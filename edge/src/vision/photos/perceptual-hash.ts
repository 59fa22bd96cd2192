/**
 * pHash: a 256-bit perceptual hash of a photo, robust to re-compression, resizing and brightness
 * or contrast changes, so a photo re-used from an earlier return is found by Hamming distance.
 * The input is a 64x64 greyscale thumbnail (photo-pixels.ts greyThumbnail). Its 2-D DCT-II is
 * taken, the 16x16 lowest frequencies kept (the DC term replaced by the next one, as it only
 * carries brightness), and bit i is set when coefficient i lies above their median.
 * (dHash on a 9x8 thumbnail was tried first: flat backgrounds made its bits flip under JPEG
 * re-encoding, 6–19 bits apart for copies against 10+ for different cars. The classic 64-bit
 * pHash — 8x8 of a 32x32 thumbnail — came next: every photo is compared with every photo of the
 * past year, and among 240 simulator photos of different cars 45 of the 28,680 pairs lay within
 * 6 bits, as return photos share their layout; at a year's photos almost every genuine photo
 * would have matched something. With 16x16 of 64x64 the closest pair of different cars is 34
 * bits apart, while re-encoded copies, brightened ±8% and downscaled to 40%, stay within 12.)
 */

export const PHASH_SIZE = 64;
const KEEP = 16;

/** 64 hex digits. */
export type PerceptualHash = string;

/** cos((2x + 1) u π / 2N) for u < KEEP, x < N: the only DCT rows the hash needs. */
const COSINES: Float64Array = (() => {
  const table = new Float64Array(KEEP * PHASH_SIZE);
  for (let u = 0; u < KEEP; u++) {
    for (let x = 0; x < PHASH_SIZE; x++) table[u * PHASH_SIZE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * PHASH_SIZE));
  }
  return table;
})();

export function pHash(grey: Uint8Array): PerceptualHash {
  const n = PHASH_SIZE;
  if (grey.length !== n * n) throw new RangeError(`pHash needs ${n}x${n} grey pixels, got ${grey.length}`);
  // Separable DCT: rows first (keeping KEEP frequencies), then columns.
  const rows = new Float64Array(n * KEEP);
  for (let y = 0; y < n; y++) {
    for (let u = 0; u < KEEP; u++) {
      let sum = 0;
      for (let x = 0; x < n; x++) sum += (grey[y * n + x] as number) * (COSINES[u * n + x] as number);
      rows[y * KEEP + u] = sum;
    }
  }
  const coefficients = new Float64Array(KEEP * KEEP);
  for (let v = 0; v < KEEP; v++) {
    for (let u = 0; u < KEEP; u++) {
      let sum = 0;
      for (let y = 0; y < n; y++) sum += (rows[y * KEEP + u] as number) * (COSINES[v * n + y] as number);
      coefficients[v * KEEP + u] = sum;
    }
  }
  coefficients[0] = coefficients[1] as number;
  // The tolerance keeps rounding noise of a flat image from setting bits.
  const median = ([...coefficients].sort((a, b) => a - b)[KEEP * KEEP / 2] as number) + 1e-6;
  let hex = '';
  for (let byte = 0; byte < (KEEP * KEEP) / 8; byte++) {
    let value = 0;
    for (let bit = 0; bit < 8; bit++) value = (value << 1) | ((coefficients[byte * 8 + bit] as number) > median ? 1 : 0);
    hex += value.toString(16).padStart(2, '0');
  }
  return hex;
}

export function hammingDistance(a: PerceptualHash, b: PerceptualHash): number {
  if (a.length !== b.length) throw new RangeError('perceptual hashes must be hex strings of equal length');
  return distance(hashWords(a), hashWords(b));
}

const HEX = /^[0-9a-f]*$/;

/** The hash as 32-bit words (the last may hold fewer bits). */
function hashWords(hash: PerceptualHash): Uint32Array {
  if (!HEX.test(hash)) throw new RangeError('perceptual hashes must be hex strings of equal length');
  const words = new Uint32Array(Math.ceil(hash.length / 8));
  for (let i = 0; i < words.length; i++) words[i] = Number.parseInt(hash.slice(i * 8, i * 8 + 8), 16);
  return words;
}

function distance(a: Uint32Array, b: Uint32Array): number {
  let bits = 0;
  for (let i = 0; i < a.length; i++) bits += popCount32(((a[i] as number) ^ (b[i] as number)) >>> 0);
  return bits;
}

function popCount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export interface HashMatch {
  photoId: string;
  distance: number;
}

/**
 * Every return compares each photo with every hash of the past year: a known entry's words are
 * parsed once (kept while the entry lives), not once per comparison — parsing and checking the
 * hex each time cost ~1 ms per 200 known hashes per photo.
 */
const parsed = new WeakMap<object, { hash: PerceptualHash; words: Uint32Array }>();

function knownWords(entry: { hash: PerceptualHash }): Uint32Array {
  const seen = parsed.get(entry);
  if (seen !== undefined && seen.hash === entry.hash) return seen.words;
  const words = hashWords(entry.hash);
  parsed.set(entry, { hash: entry.hash, words });
  return words;
}

/** The closest known hash within `maxDistance` bits, or undefined. */
export function closestHash(
  hash: PerceptualHash,
  known: ReadonlyArray<{ photoId: string; hash: PerceptualHash }>,
  maxDistance: number,
): HashMatch | undefined {
  const words = hashWords(hash);
  let best: HashMatch | undefined;
  for (const entry of known) {
    if (entry.hash.length !== hash.length) throw new RangeError('perceptual hashes must be hex strings of equal length');
    const bits = distance(words, knownWords(entry));
    if (bits <= maxDistance && (best === undefined || bits < best.distance)) best = { photoId: entry.photoId, distance: bits };
  }
  return best;
}
