import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOurProcess, isProcessAlive, spawnDetached, stopProcess, tailFile, waitUntilReady } from './process.js';

describe('server processes', () => {
  let dir: string;
  const started: number[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-process-'));
  });
  afterEach(async () => {
    for (const pid of started.splice(0)) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  async function launch(script: string): Promise<number> {
    const pid = await spawnDetached({ command: process.execPath, args: ['-e', script, join(dir, 'marker')], cwd: dir }, join(dir, 'out.log'));
    started.push(pid);
    return pid;
  }

  it('recognises its own process by the marker in the command line and logs its output', async () => {
    const pid = await launch("console.log('server up'); setInterval(() => {}, 1000)");
    expect(isOurProcess(pid, join(dir, 'marker'))).toBe(true);
    expect(isOurProcess(pid, '/some/other/run/')).toBe(false);
    expect(await waitUntilReady({ probe: async () => tailFile(join(dir, 'out.log')) === 'server up', failure: () => undefined, timeoutMs: 5_000, intervalMs: 50 })).toBeUndefined();
  });

  it('stops with SIGTERM when the process honours it', async () => {
    const pid = await launch('setInterval(() => {}, 1000)');
    await sleep(200);
    expect(await stopProcess(pid, 5_000)).toBe('stopped');
    expect(isOurProcess(pid, '')).toBe(false);
  });

  it('falls back to SIGKILL after the grace period', async () => {
    const pid = await launch("process.on('SIGTERM', () => {}); console.log('ignoring'); setInterval(() => {}, 1000)");
    await waitUntilReady({ probe: async () => tailFile(join(dir, 'out.log')) === 'ignoring', failure: () => undefined, timeoutMs: 5_000, intervalMs: 50 });
    expect(await stopProcess(pid, 300)).toBe('killed');
    expect(isOurProcess(pid, '')).toBe(false);
    expect(await stopProcess(pid, 300)).toBe('not_running');
  });

  it('reports why a server never became ready', async () => {
    const pid = await launch("console.error('bind failed'); process.exit(3)");
    const reason = await waitUntilReady({
      probe: async () => false,
      failure: () => (isOurProcess(pid, join(dir, 'marker')) ? undefined : 'the process exited'),
      timeoutMs: 5_000,
      intervalMs: 50,
    });
    expect(reason).toBe('the process exited');
    expect(tailFile(join(dir, 'out.log'))).toBe('bind failed');
    expect(await waitUntilReady({ probe: async () => { throw new Error('refused'); }, failure: () => undefined, timeoutMs: 100, intervalMs: 50 })).toMatch(/last check: refused/);
  });
});
