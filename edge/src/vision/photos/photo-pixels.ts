/**
 * What preprocess.ts derives from ONE small decode of a photo (upright RGB at the model's input
 * size), as pure functions over pixels: the model tensor and the greyscale thumbnail the
 * perceptual hash takes. Deriving the thumbnail here saves a second sharp pipeline per photo.
 */

/** 8-bit interleaved RGB, `width * height * 3` bytes. */
export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

/** An EXIF orientation 1–8; anything else (absent, out of range) reads as 1, as sharp does. */
export function exifOrientation(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 8 ? value : 1;
}

/**
 * Float32 NCHW [1, 3, H, W], RGB scaled to 0–1 (value / 255): the model card's input contract.
 * Written into `into` when given (3 * width * height values), so a caller can reuse one array
 * per photo in flight instead of allocating 590 KB per photo at 256x192.
 */
export function rgbTensor(pixels: RgbPixels, into?: Float32Array): Float32Array {
  const { data } = pixels;
  const plane = pixels.width * pixels.height;
  if (into !== undefined && into.length !== 3 * plane) throw new RangeError(`tensor has ${into.length} values, the pixels need ${3 * plane}`);
  const tensor = into ?? new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    tensor[i] = (data[3 * i] as number) / 255;
    tensor[plane + i] = (data[3 * i + 1] as number) / 255;
    tensor[2 * plane + i] = (data[3 * i + 2] as number) / 255;
  }
  return tensor;
}

/** sRGB 8-bit → linear light, and linear light (0–1, 4096 steps) → sRGB 8-bit. */
const TO_LINEAR: Float64Array = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});
/** Each channel's share of the luminance (Rec. 709 weights) per 8-bit value: the products, once. */
const RED_LIGHT = TO_LINEAR.map((l) => 0.2126 * l);
const GREEN_LIGHT = TO_LINEAR.map((l) => 0.7152 * l);
const BLUE_LIGHT = TO_LINEAR.map((l) => 0.0722 * l);
const ENCODE_STEPS = 4096;
const TO_SRGB: Uint8Array = Uint8Array.from({ length: ENCODE_STEPS + 1 }, (_, i) => {
  const l = i / ENCODE_STEPS;
  return Math.round(255 * (l <= 0.0031308 ? 12.92 * l : 1.055 * l ** (1 / 2.4) - 0.055));
});

/**
 * A `size` x `size` greyscale thumbnail (squeezed, like sharp's fit 'fill'): luminance as sharp's
 * greyscale() computes it (Rec. 709 weights in linear light, sRGB-encoded again), then each
 * thumbnail pixel the area average of the pixels it covers. Meant for downscaling: a source
 * smaller than `size` on a side is sampled, not interpolated.
 */
export function greyThumbnail(pixels: RgbPixels, size: number): Uint8Array {
  const { data, width, height } = pixels;
  // Scratch rows kept between calls (this runs on the event loop for every photo, and it is
  // synchronous, so no two calls share them): no 300 KB of fresh arrays per photo.
  const grey = scratch.grey.length >= width * height ? scratch.grey : (scratch.grey = new Uint8Array(width * height));
  for (let i = 0, at = 0; i < width * height; i++, at += 3) {
    // The weights sum to 1, so the index stays within the table.
    const y = (RED_LIGHT[data[at] as number] as number) + (GREEN_LIGHT[data[at + 1] as number] as number) + (BLUE_LIGHT[data[at + 2] as number] as number);
    grey[i] = TO_SRGB[(y * ENCODE_STEPS + 0.5) | 0] as number;
  }
  const across = areaWeights(width, size);
  const down = areaWeights(height, size);
  // Columns first: each source row becomes `size` weighted sums, then the rows are combined.
  const rows = scratch.rows.length >= height * size ? scratch.rows : (scratch.rows = new Float64Array(height * size));
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let out = 0; out < size; out++) {
      const { index, weight } = across[out] as Taps;
      let sum = 0;
      for (let t = 0; t < index.length; t++) sum += (grey[row + (index[t] as number)] as number) * (weight[t] as number);
      rows[y * size + out] = sum;
    }
  }
  const thumbnail = new Uint8Array(size * size);
  for (let out = 0; out < size; out++) {
    const { index, weight } = down[out] as Taps;
    for (let x = 0; x < size; x++) {
      let sum = 0;
      for (let t = 0; t < index.length; t++) sum += (rows[(index[t] as number) * size + x] as number) * (weight[t] as number);
      thumbnail[out * size + x] = Math.round(sum);
    }
  }
  return thumbnail;
}

const scratch = { grey: new Uint8Array(0), rows: new Float64Array(0) };

interface Taps {
  index: Int32Array;
  weight: Float64Array;
}

/** Every photo has the models' size: its taps are worked out once. */
const tapsOf = new Map<string, readonly Taps[]>();

function areaWeights(from: number, to: number): readonly Taps[] {
  const key = `${from}>${to}`;
  let taps = tapsOf.get(key);
  if (taps === undefined) tapsOf.set(key, (taps = computeAreaWeights(from, to)));
  return taps;
}

/** For each of `to` output cells, the input indices it covers and their weights (summing to 1). */
function computeAreaWeights(from: number, to: number): Taps[] {
  const scale = from / to;
  return Array.from({ length: to }, (_, out) => {
    const start = out * scale;
    const end = Math.max(start + 1e-9, (out + 1) * scale);
    const index: number[] = [];
    const weight: number[] = [];
    for (let i = Math.floor(start); i < Math.min(from, Math.ceil(end)); i++) {
      const overlap = Math.min(end, i + 1) - Math.max(start, i);
      if (overlap > 0) {
        index.push(i);
        weight.push(overlap / (end - start));
      }
    }
    if (index.length === 0) [index[0], weight[0]] = [Math.min(from - 1, Math.floor(start)), 1];
    return { index: Int32Array.from(index), weight: Float64Array.from(weight) };
  });
}
