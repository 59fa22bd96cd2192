/**
 * Narrows a write the TSDB refused (HTTP 400/422) down to the records it refused, so that
 * nothing valid is lost because of a bad neighbour: the refused part is split in halves and each
 * half written again, down to single records. A single record still refused is the culprit.
 *
 * Bounded work: with n records of which k are refused, at most 1 + 2k·⌈log2 n⌉ writes, and never
 * more than 2n − 1 (500 records, all refused: 999 small writes). Any other failure at any
 * point (TSDB down, 5xx, timeout, a bug) is thrown at once: the bus re-delivers the whole batch, and
 * the halves already written are overwritten by the replay (a point's identity is its series
 * plus device timestamp).
 */
import { joinLines, type RecordLines } from './batch-lines.js';
import { isRefusedData } from './influx-writer.js';

export interface RefusedRecord {
  record: RecordLines;
  /** What the TSDB said when this record was written alone. */
  error: unknown;
}

export interface IsolatedWrite {
  pointsWritten: number;
  refused: RefusedRecord[];
  /** Writes the TSDB refused, the first (whole) one included. */
  refusedWrites: number;
}

export async function writeIsolatingRefused(
  records: readonly RecordLines[],
  write: (body: string) => Promise<void>,
  /** Called before each re-write of a half: isolation is sequential writes that may outlast a consumer session. */
  beforeRewrite: () => Promise<void> = async () => undefined,
): Promise<IsolatedWrite> {
  const result: IsolatedWrite = { pointsWritten: 0, refused: [], refusedWrites: 0 };
  const attempt = async (part: readonly RecordLines[]): Promise<void> => {
    try {
      await write(joinLines(part));
      result.pointsWritten += part.reduce((sum, r) => sum + r.points, 0);
    } catch (error) {
      if (!isRefusedData(error)) throw error;
      result.refusedWrites += 1;
      if (part.length === 1) {
        result.refused.push({ record: part[0]!, error });
        return;
      }
      const middle = Math.ceil(part.length / 2);
      await beforeRewrite();
      await attempt(part.slice(0, middle));
      await beforeRewrite();
      await attempt(part.slice(middle));
    }
  };
  if (records.length > 0) await attempt(records);
  return result;
}
