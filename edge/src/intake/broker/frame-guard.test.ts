import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrameSizeTracker, guardFrameSizes } from './frame-guard.js';

/** An MQTT PUBLISH-like frame: type byte, remaining-length varint, body. */
function frame(bodyBytes: number): Buffer {
  const length: number[] = [];
  let rest = bodyBytes;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    length.push(byte);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([0x32, ...length]), Buffer.alloc(bodyBytes, 0x61)]);
}

describe('frame size guard', () => {
  it('lets packets up to the limit through, across arbitrary chunk boundaries', () => {
    const tracker = new FrameSizeTracker(1000);
    const stream = Buffer.concat([frame(10), frame(0), frame(997), frame(200)]);
    for (let offset = 0; offset < stream.length; offset += 7) {
      expect(tracker.feed(stream.subarray(offset, offset + 7))).toBeUndefined();
    }
  });

  it('reports an oversized packet from its header alone', () => {
    const tracker = new FrameSizeTracker(1000);
    expect(tracker.feed(frame(50))).toBeUndefined();
    // Only the first 3 header bytes of a 200 kB packet: no body needed to refuse it.
    expect(tracker.feed(frame(200_000).subarray(0, 4))).toBe(1 + 3 + 200_000);
  });

  it('flags a remaining-length varint longer than MQTT allows', () => {
    expect(new FrameSizeTracker(1000).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(Infinity);
  });

  it('destroys a connection that announces an oversized packet, seeing the bytes its reader reads', async () => {
    const connection = new PassThrough();
    const reported: number[] = [];
    // The reader consumes with 'readable' + read(), as aedes does.
    const parsed: Buffer[] = [];
    connection.on('readable', () => {
      let chunk: Buffer | null;
      while ((chunk = connection.read() as Buffer | null) !== null) parsed.push(chunk);
    });
    guardFrameSizes(connection, 1000, (bytes) => reported.push(bytes));
    connection.write(frame(100));
    await new Promise((resolve) => setImmediate(resolve));
    expect(connection.destroyed).toBe(false);
    connection.write(frame(5000).subarray(0, 10));
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported).toEqual([1 + 2 + 5000]);
    expect(connection.destroyed).toBe(true);
    expect(Buffer.concat(parsed).length).toBeGreaterThanOrEqual(102);
  });
});
