import { describe, expect, it } from 'vitest';
import { closestHash, hammingDistance, pHash, PHASH_SIZE } from './perceptual-hash.js';

function thumbnail(f: (x: number, y: number) => number): Uint8Array {
  const grey = new Uint8Array(PHASH_SIZE * PHASH_SIZE);
  for (let y = 0; y < PHASH_SIZE; y++) for (let x = 0; x < PHASH_SIZE; x++) grey[y * PHASH_SIZE + x] = f(x, y);
  return grey;
}

const ZERO = '0'.repeat(64);

/** A fixed texture in 0–126 with structure at several frequencies. */
const texture = (x: number, y: number): number =>
  Math.round(63 + 30 * Math.sin(x / 3) * Math.cos(y / 5) + 25 * Math.sin((x + 2 * y) / 7) + ((x * 7 + y * 13) % 9));

describe('pHash', () => {
  it('hashes a flat image to all zeros (only the brightness term is non-zero)', () => {
    expect(pHash(thumbnail(() => 90))).toBe(ZERO);
  });

  it('sets about half of the 256 bits of a textured image', () => {
    const hash = pHash(thumbnail(texture));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const bits = hammingDistance(hash, ZERO);
    expect(bits).toBeGreaterThanOrEqual(112);
    expect(bits).toBeLessThanOrEqual(144);
  });

  it('is unchanged by brightness and contrast changes', () => {
    expect(pHash(thumbnail((x, y) => 2 * texture(x, y) + 1))).toBe(pHash(thumbnail(texture)));
  });

  it('moves far for the negative image', () => {
    expect(hammingDistance(pHash(thumbnail((x, y) => 255 - texture(x, y))), pHash(thumbnail(texture)))).toBeGreaterThan(224);
  });

  it('rejects a thumbnail of the wrong size', () => {
    expect(() => pHash(new Uint8Array(72))).toThrow(RangeError);
  });
});

describe('hammingDistance and closestHash', () => {
  it('counts differing bits', () => {
    expect(hammingDistance('0000000000000000', '0000000000000000')).toBe(0);
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance(ZERO, 'f'.repeat(64))).toBe(256);
    expect(hammingDistance(`${'0'.repeat(60)}8001`, `${'0'.repeat(60)}0003`)).toBe(2);
    expect(hammingDistance('00000000000000f0', '0000000000000001')).toBe(5);
    expect(() => hammingDistance('00', '000')).toThrow(RangeError);
    expect(() => hammingDistance('zz', '00')).toThrow(RangeError);
  });

  it('returns the nearest known photo within the limit', () => {
    const known = [
      { photoId: 'a', hash: 'ff00000000000000' },
      { photoId: 'b', hash: '0f00000000000000' },
      { photoId: 'c', hash: '0000000000000000' },
    ];
    expect(closestHash('0700000000000000', known, 6)).toEqual({ photoId: 'b', distance: 1 });
    expect(closestHash('00000000000000ff', known, 6)).toBeUndefined();
    expect(closestHash('000000000000000f', known, 4)).toEqual({ photoId: 'c', distance: 4 });
    // Known entries are parsed once; an entry given another hash is read anew.
    known[2]!.hash = '00000000000000fe';
    expect(closestHash('00000000000000ff', known, 6)).toEqual({ photoId: 'c', distance: 1 });
    expect(() => closestHash('0000', known, 6)).toThrow(RangeError);
  });
});
