/**
 * Child process for the crash test: appends telemetry as fast as it can and prints each id
 * range right after its append resolved ("committed <first> <last>"), until it is killed.
 * Usage: tsx crash-writer.ts <database path>
 */
import { telemetryRecord } from '../test-records.js';
import { createSqliteBuffer } from './index.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-writer.ts <database path>');
const buffer = createSqliteBuffer({ path, commitIntervalMs: 2 });
let seq = 0;
for (;;) {
  const first = seq;
  const records = Array.from({ length: 10 }, () => telemetryRecord(seq++));
  await buffer.append(records);
  process.stdout.write(`committed ${first} ${seq - 1}\n`);
}
