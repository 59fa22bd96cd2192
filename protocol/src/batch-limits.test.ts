import * as zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';

// Observe the real gunzip: the inflated size must be capped while inflating, not after.
const inflatedSizes: number[] = [];
vi.mock('node:zlib', async (importOriginal) => {
  const original = await importOriginal<typeof zlib>();
  return {
    ...original,
    gunzipSync: (body: zlib.InputType, options?: zlib.ZlibOptions) => {
      try {
        const out = original.gunzipSync(body, options);
        inflatedSizes.push(out.length);
        return out;
      } catch (error) {
        inflatedSizes.push(-1);
        throw error;
      }
    },
  };
});

const { decodeBatch } = await import('./batch.js');

describe('decodeBatch inflation limit', () => {
  it('aborts a 50 MB zip bomb inside gunzip, never returning the inflated body', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024), { level: 1 });
    const verdict = decodeBatch(bomb, { contentEncoding: 'gzip', maxBytes: 1_000_000, maxDecompressedBytes: 1_000_000 });
    expect(verdict.ok || verdict.reason).toBe('batch_too_large');
    expect(inflatedSizes).toEqual([-1]);
  });

  it('inflates a body under the limit in full', () => {
    inflatedSizes.length = 0;
    const body = zlib.gzipSync(Buffer.alloc(500_000, 0x20));
    decodeBatch(body, { contentEncoding: 'gzip', maxBytes: 1_000_000, maxDecompressedBytes: 1_000_000 });
    expect(inflatedSizes).toEqual([500_000]);
  });
});
