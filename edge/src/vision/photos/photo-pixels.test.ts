import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { exifOrientation, greyThumbnail, rgbTensor, type RgbPixels } from './photo-pixels.js';

function rgb(width: number, height: number, f: (x: number, y: number) => [number, number, number]): RgbPixels {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
  return { data, width, height };
}

describe('photo pixels', () => {
  it('lays RGB out as NCHW planes scaled to 0–1', () => {
    const tensor = rgbTensor(rgb(2, 1, (x) => (x === 0 ? [255, 0, 51] : [0, 102, 255])));
    expect([...tensor].map((v) => Math.round(v * 100) / 100)).toEqual([1, 0, 0, 0.4, 0.2, 1]);
  });

  it('writes the tensor into a given array, which must fit the pixels', () => {
    const into = new Float32Array(6).fill(9);
    expect(rgbTensor(rgb(2, 1, () => [255, 0, 51]), into)).toBe(into);
    expect([...into].map((v) => Math.round(v * 100) / 100)).toEqual([1, 1, 0, 0, 0.2, 0.2]);
    expect(() => rgbTensor(rgb(2, 2, () => [0, 0, 0]), into)).toThrow(RangeError);
  });

  it('gives the same thumbnail whatever size of photo came before (its rows are reused)', () => {
    const photo = rgb(256, 192, (x, y) => [(x * 3) % 256, (y * 5) % 256, (x * y) % 256]);
    const first = greyThumbnail(photo, 64);
    greyThumbnail(rgb(400, 300, () => [255, 255, 255]), 64);
    greyThumbnail(rgb(70, 65, () => [0, 0, 0]), 64);
    expect(greyThumbnail(photo, 64)).toEqual(first);
  });

  it('reads orientations outside 1–8 as 1', () => {
    expect([undefined, 0, 9, 2.5, '6', 6].map(exifOrientation)).toEqual([1, 1, 1, 1, 1, 6]);
  });

  it('averages the area each thumbnail pixel covers, in sharp greyscale levels', async () => {
    // 4x3 blocks of one grey level each: every thumbnail pixel is its block's level.
    const blocks = rgb(256, 192, (x, y) => {
      const level = ((Math.floor(x / 4) * 7 + Math.floor(y / 3) * 13) % 200) + 20;
      return [level, level, level];
    });
    const thumbnail = greyThumbnail(blocks, 64);
    expect(thumbnail[0]).toBe(20);
    expect(thumbnail[64 * 5 + 3]).toBe(((3 * 7 + 5 * 13) % 200) + 20);
    // Colour to grey as sharp computes it.
    const colour = rgb(64, 64, (x, y) => [(x * 4) % 256, (y * 4) % 256, ((x + y) * 2) % 256]);
    const ours = greyThumbnail(colour, 64);
    const theirs = await sharp(colour.data, { raw: { width: 64, height: 64, channels: 3 } }).greyscale().raw().toBuffer();
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs((ours[i] as number) - (theirs[i] as number)));
    expect(worst).toBeLessThanOrEqual(1);
  });
});
