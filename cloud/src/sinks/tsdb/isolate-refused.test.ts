import { toBusMessage } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { CloudError } from '../../errors.js';
import { batchLines, type RecordLines } from './batch-lines.js';
import { poisonWriter } from '../../../test/support/fake-tsdb.js';
import { writeIsolatingRefused } from './isolate-refused.js';
import { vehicleSample } from '../../../test/support/tsdb-records.js';

const T = Date.UTC(2026, 0, 1);
/** n records of VH-ok, with VH-poison at the given indexes. */
function records(n: number, poisoned: readonly number[]): RecordLines[] {
  const messages = Array.from({ length: n }, (_, i) =>
    toBusMessage(vehicleSample(poisoned.includes(i) ? 'VH-poison' : 'VH-ok', i, T + i)));
  return batchLines(messages.map((m, i) => ({ ...m, partition: 0, offset: String(i) }))).records;
}
const seqOf = (r: RecordLines) => Number(r.message.offset);

describe('writeIsolatingRefused', () => {
  it('writes every record but the refused ones, and names those', async () => {
    const writer = poisonWriter('VH-poison');
    const result = await writeIsolatingRefused(records(100, [3, 71]), (body) => writer.write(body));

    expect(result.refused.map((r) => seqOf(r.record))).toEqual([3, 71]);
    expect(String(result.refused[0]?.error)).toContain('HTTP 400');
    expect(result.pointsWritten).toBe(98);
    expect(writer.written).toHaveLength(98);
    expect(writer.written.every((line) => line.includes('vehicle_id=VH-ok'))).toBe(true);
    // Bounded: 1 + 2k·⌈log2 n⌉ writes for k refused records out of n.
    expect(writer.attempts).toBeLessThanOrEqual(1 + 2 * 2 * 7);
  });

  it('heartbeats before every re-write, so a long isolation keeps its consumer session', async () => {
    const writer = poisonWriter('VH-poison');
    let heartbeats = 0;
    await writeIsolatingRefused(records(16, [5]), (body) => writer.write(body), async () => void (heartbeats += 1));
    expect(heartbeats).toBe(writer.attempts - 1);
    expect(heartbeats).toBeGreaterThan(0);
  });

  it('is one write when nothing is refused, and at most 2n − 1 when everything is', async () => {
    const clean = poisonWriter('VH-poison');
    expect(await writeIsolatingRefused(records(50, []), (b) => clean.write(b))).toMatchObject({ pointsWritten: 50, refused: [], refusedWrites: 0 });
    expect(clean.attempts).toBe(1);

    const all = Array.from({ length: 50 }, (_, i) => i);
    const dirty = poisonWriter('VH-poison');
    const result = await writeIsolatingRefused(records(50, all), (b) => dirty.write(b));
    expect(result.refused).toHaveLength(50);
    expect(result.pointsWritten).toBe(0);
    expect(dirty.attempts).toBe(2 * 50 - 1);
    expect(result.refusedWrites).toBe(2 * 50 - 1);
  });

  it('throws anything that is not refused data at once, so the bus re-delivers the batch', async () => {
    const writer = poisonWriter('VH-poison');
    writer.failNext = 1;
    await expect(writeIsolatingRefused(records(4, [1]), (b) => writer.write(b))).rejects.toMatchObject({ canRetry: true });
    // A bug is not the TSDB refusing data: no record may be dead-lettered for it.
    const bug = async () => {
      throw new TypeError('boom');
    };
    await expect(writeIsolatingRefused(records(4, [1]), bug)).rejects.toThrow('boom');
    const otherCode = async () => {
      throw new CloudError('FW_INTERNAL', 'not the tsdb');
    };
    await expect(writeIsolatingRefused(records(4, [1]), otherCode)).rejects.toThrow('not the tsdb');
  });
});
