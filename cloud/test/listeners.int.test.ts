/**
 * The cloud's listener split: with http.operator set, what nodes and business clients call
 * (ingest, business events, commands) and what operators use (probes, metrics, fleet API, dashboard, the command log)
 * answer on separate listeners, each refusing the other's routes; without it, one listener
 * serves both, as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCloudConfig } from '../src/config.js';
import { issueToken } from '../src/ingest/auth/tokens.js';
import { startCloud, type RunningCloud } from '../src/main.js';

const NODE = 'node-split';
const token = issueToken(NODE);
const dir = mkdtempSync(join(tmpdir(), 'fw-listeners-'));
const running: RunningCloud[] = [];

afterAll(async () => {
  for (const cloud of running) await cloud.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(name: string, http: Record<string, unknown>): Promise<RunningCloud> {
  const cloud = await startCloud(resolveCloudConfig({
    dataDir: join(dir, name),
    logLevel: 'silent',
    http,
    fleet: { enabled: true },
    auth: { nodes: [{ id: NODE, devices: ['VH-*'], tokens: [token.entry] }] },
  }));
  running.push(cloud);
  return cloud;
}

/** Status of each route: probes, metrics, fleet API, dashboard, ingest (an empty batch with the node's token). */
async function statuses(base: string): Promise<number[]> {
  const gets = ['/healthz', '/readyz', '/metrics', '/v1/fleet/summary', '/dashboard'].map(async (path) => (await fetch(`${base}${path}`)).status);
  const ingest = fetch(`${base}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/x-ndjson' }, body: '' }).then((r) => r.status);
  return Promise.all([...gets, ingest]);
}

describe('cloud listeners', () => {
  it('serves ingest on the public listener and the operator routes on their own, each answering 404 for the other\'s', async () => {
    const cloud = await start('split', { host: '127.0.0.1', port: 0, operator: { host: '127.0.0.1', port: 0 } });
    expect(cloud.operatorAddress).not.toBe(cloud.address);
    const [publicSide, operatorSide] = [await statuses(cloud.address), await statuses(cloud.operatorAddress)];
    expect(publicSide.slice(0, 5)).toEqual([404, 404, 404, 404, 404]);
    expect(publicSide[5]).not.toBe(404);
    expect(operatorSide.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(operatorSide[5]).toBe(404);
    // The command log: the dashboard's read on the operator listener (open here: no read token on
    // loopback); the public one lets only a client read (its own) and is where commands are sent.
    expect((await fetch(`${cloud.operatorAddress}/v1/commands`)).status).toBe(200);
    expect((await fetch(`${cloud.address}/v1/commands`)).status).toBe(401);
    const send = (base: string) => fetch(`${base}/v1/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect((await send(cloud.operatorAddress)).status).toBe(404);
    expect((await send(cloud.address)).status).not.toBe(404);
  });

  it('serves everything on one listener without http.operator', async () => {
    const cloud = await start('single', { host: '127.0.0.1', port: 0 });
    expect(cloud.operatorAddress).toBe(cloud.address);
    const all = await statuses(cloud.address);
    expect(all.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(all[5]).not.toBe(404);
  });
});
