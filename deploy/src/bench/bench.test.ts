import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BENCHMARKS, findBenchmark } from './benchmarks.js';
import { benchCommandLine, benchUsage, runBenchCommand } from './command.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('fleetwire bench', () => {
  it('lists only benchmarks whose script exists, each once', () => {
    expect(BENCHMARKS.filter((b) => !existsSync(join(ROOT, b.script))).map((b) => b.script)).toEqual([]);
    expect(new Set(BENCHMARKS.map((b) => b.name)).size).toBe(BENCHMARKS.length);
    expect(benchUsage()).toContain('ingest-vs-kcat');
  });

  it('runs a benchmark through tsx with its node flags first and the options passed through', () => {
    const backlog = findBenchmark('buffer-backlog')!;
    expect(benchCommandLine(backlog, ['200000', '500'], '/repo')).toEqual(['--expose-gc', '--import', 'tsx', '/repo/edge/bench/buffer-backlog.ts', '200000', '500']);
  });

  it('refuses an unknown benchmark with exit code 2', async () => {
    expect(await runBenchCommand(['no-such-bench'])).toBe(2);
  });
});
