import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { telemetryRecord } from '../../../test/support/telemetry-records.js';
import { createTestStore, drainIds, type TestStore } from '../../../test/support/buffer-store.js';

let store: TestStore;
afterEach(async () => {
  await store.cleanup();
});

const writer = fileURLToPath(new URL('../../../test/support/crash-writer.ts', import.meta.url));

interface WriterLog {
  committed: number[];
  /** Acknowledge returned for these. */
  acked: number[];
  /** Acknowledge was called for these, and the process may have died before it returned. */
  acking: number[];
}

/** Runs the writer until `enough` says so, then kills it with SIGKILL; returns what it printed. */
async function runAndKill(args: string[], enough: (log: WriterLog) => boolean): Promise<WriterLog> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, store.path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const log: WriterLog = { committed: [], acked: [], acking: [] };
  let pending = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code}`))));
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, ...numbers] = line.split(' ');
        if (kind === 'committed') {
          const [first, last] = numbers.map(Number);
          for (let seq = first!; seq <= last!; seq += 1) log.committed.push(seq);
        } else if (kind === 'acking') {
          log.acking = numbers.map(Number);
        } else if (kind === 'acked') {
          log.acked.push(...log.acking);
          log.acking = [];
        }
      }
      if (enough(log) && !child.killed) child.kill('SIGKILL');
    });
  });
  return log;
}

describe('sqlite buffer: crash', () => {
  it('keeps every record whose append resolved before the process was killed with SIGKILL', async () => {
    store = createTestStore();
    const { committed } = await runAndKill([], (log) => log.committed.length >= 500);
    const buffer = store.open({ liveWindowMs: 0 });
    const stored = new Set(drainIds(buffer, 5000));
    const missing = committed.filter((seq) => !stored.has(`VH-0001:b1:${seq}`));
    expect(committed.length).toBeGreaterThanOrEqual(500);
    expect(missing).toEqual([]);
  });

  it('killed while draining: every committed record is acknowledged or still stored, once, and still deduplicated', async () => {
    store = createTestStore();
    const log = await runAndKill(['drain'], ({ committed, acked }) => committed.length >= 2000 && acked.length >= 500);
    const acked = new Set(log.acked);
    const mayBeGone = new Set(log.acking);
    // Dedupe survived the kill: an id still stored is refused.
    const buffer = store.open({ liveWindowMs: 0 });
    const [kept] = store.peek<{ id: string }[]>('SELECT id FROM records ORDER BY seq DESC LIMIT 1');
    if (kept !== undefined) {
      await buffer.append([telemetryRecord(Number(kept.id.split(':')[2]))]);
      expect(buffer.stats().ledger.duplicate).toBe(1);
    }
    const storedIds = drainIds(buffer, 5000);
    const stored = new Set(storedIds.map((id) => Number(id.split(':')[2])));
    expect(storedIds.length).toBe(stored.size);
    expect(log.acked.length).toBeGreaterThanOrEqual(500);
    expect(log.committed.filter((seq) => !acked.has(seq) && !mayBeGone.has(seq) && !stored.has(seq))).toEqual([]);
    // An acknowledge that returned is durable: none of those records is sent again.
    expect([...stored].filter((seq) => acked.has(seq))).toEqual([]);
  });
});
