import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestStore, drainIds, type TestStore } from './test-store.js';

let store: TestStore;
afterEach(async () => {
  await store.cleanup();
});

const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));

describe('sqlite buffer: crash', () => {
  it('keeps every record whose append resolved before the process was killed with SIGKILL', async () => {
    store = createTestStore();
    const child = spawn(process.execPath, ['--import', 'tsx', writer, store.path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const committed: number[] = [];
    let pending = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code}`))));
      child.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const [, first, last] = line.split(' ').map(Number);
          for (let seq = first!; seq <= last!; seq += 1) committed.push(seq);
        }
        if (committed.length >= 500 && !child.killed) child.kill('SIGKILL');
      });
    });
    const buffer = store.open({ liveWindowMs: 0 });
    const stored = new Set(drainIds(buffer, 5000));
    const missing = committed.filter((seq) => !stored.has(`VH-0001:b1:${seq}`));
    expect(committed.length).toBeGreaterThanOrEqual(500);
    expect(missing).toEqual([]);
  });
});
