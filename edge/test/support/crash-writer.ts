/**
 * Child process for the crash tests: appends telemetry as fast as it can and prints each id
 * range right after its append resolved ("committed <first> <last>"), until it is killed.
 * With `drain`, it also takes batches and acknowledges them (as the uplink does after a 2xx),
 * printing "acking <seq> <seq> …" before and "acked" right after each acknowledge.
 * Usage: tsx crash-writer.ts <database path> [drain]
 */
import { telemetryRecord } from './telemetry-records.js';
import { createSqliteBuffer } from '../../src/buffer/sqlite/index.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-writer.ts <database path> [drain]');
const drain = process.argv[3] === 'drain';
// A small prune threshold, so the kill also lands around pruning.
const buffer = createSqliteBuffer({ path, commitIntervalMs: 2, idPruneRecords: 50, liveWindowMs: 0 });
let seq = 0;
const numberOf = (id: string) => id.split(':')[2];
if (drain) {
  setInterval(() => {
    const batch = buffer.takeBatch({ maxRecords: 25, maxBytes: 1 << 20 });
    if (batch === undefined) return;
    process.stdout.write(`acking ${batch.serialized!.map((r) => numberOf(r.id)).join(' ')}\n`);
    buffer.acknowledge(batch);
    process.stdout.write('acked\n');
  }, 1);
}
for (;;) {
  const first = seq;
  const records = Array.from({ length: 10 }, () => telemetryRecord(seq++));
  await buffer.append(records);
  process.stdout.write(`committed ${first} ${seq - 1}\n`);
}
