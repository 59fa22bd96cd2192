/**
 * The fleet dashboard end to end: a real cloud (embedded bus, HTTP on port 0) takes a batch
 * through the real ingest, the fleet service consumes it from the bus, and Chromium (Debian's,
 * driven by playwright-core) loads /dashboard and shows what the batch said. Every wait polls
 * with a generous deadline: a loaded 2-core CI machine may take seconds for each step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCloudConfig } from '../src/config.js';
import { issueToken } from '../src/ingest/auth/tokens.js';
import { batchOf, batchOfLines } from './support/batches.js';
import { startCloud, type RunningCloud } from '../src/main.js';
import { connectorReading, eventRecord, reading } from './support/fleet-records.js';
import { sendBatch } from './support/sender.js';

const NODE = 'node-dash';
const token = issueToken(NODE);
const dir = mkdtempSync(join(tmpdir(), 'fw-dashboard-'));
const WAIT = { timeout: 60_000, interval: 250 };
const SCRIPT_SESSION = '<script>window.__pwned = 1</script>';
const IMG_SESSION = '<img src=x onerror="window.__pwned = 2">';

let cloud: RunningCloud;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  cloud = await startCloud(resolveCloudConfig({
    dataDir: join(dir, 'data'),
    logLevel: 'silent',
    http: { host: '127.0.0.1', port: 0 },
    auth: { nodes: [{ id: NODE, devices: ['VH-dash-*', 'CH-dash-*'], tokens: [token.entry] }] },
  }));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const tileValue = (name: string) => page.locator(`[data-tile="${name}"] .value`).textContent();
const cellsOf = (selector: string) => page.locator(selector).locator('td').allTextContents();

describe('fleet dashboard in Chromium', () => {
  it('shows the vehicles, their SoC and the counts from a batch sent through ingest, and renders device text as text', async () => {
    const at = Date.now() - 5000;
    const answer = await sendBatch(cloud.address, token.token, batchOf(NODE, [
      reading('VH-dash-1', 1, at, { socPct: 63, speedKph: 0 }),
      reading('VH-dash-2', 1, at, { socPct: 12, speedKph: 31 }),
      reading('VH-dash-3', 1, at, { socPct: 48, speedKph: 0 }),
      connectorReading('CH-dash-1', 1, at, { connectorId: 1, status: 'Charging', sessionId: SCRIPT_SESSION, powerKw: 22 }),
      connectorReading('CH-dash-2', 1, at, { connectorId: 1, status: 'Preparing', sessionId: IMG_SESSION, powerKw: 0 }),
      eventRecord('ChargingSessionStarted', { chargerId: 'CH-dash-1', connectorId: 1, sessionId: 'cs-1', vehicleId: 'VH-dash-3' },
        { source: { kind: 'charger', id: 'CH-dash-1' }, subject: { kind: 'charger', id: 'CH-dash-1' }, at: at - 1000, seq: 1 }),
      eventRecord('MaintenanceRequired', { component: 'tyre_fl', reason: '<b>slow leak</b>' },
        { source: { kind: 'edge', id: NODE }, subject: { kind: 'vehicle', id: 'VH-dash-1' }, at, seq: 2 }),
    ]));
    expect(answer).toMatchObject({ status: 200, body: { accepted: 7, rejected: [] } });

    // A device id with markup never reaches the bus: the protocol's id pattern refuses it at ingest.
    const evil = { ...reading('VH-dash-9', 1, at), source: { kind: 'vehicle', id: 'VH-<script>' } };
    const refused = await sendBatch(cloud.address, token.token, batchOfLines(NODE, [JSON.stringify(evil)]));
    expect(refused).toMatchObject({ status: 200, body: { accepted: 0, rejected: [{ reason: 'schema_violation' }] } });

    await page.goto(`${cloud.address}/dashboard`);
    await expect.poll(() => tileValue('vehicles'), WAIT).toBe('3');
    expect(await tileValue('driving')).toBe('1');
    expect(await tileValue('parked')).toBe('1');
    expect(await tileValue('charging')).toBe('1');
    expect(await tileValue('low')).toBe('1');
    expect(await tileValue('chargers')).toBe('2');
    expect(await tileValue('in-use')).toBe('1');
    expect(await tileValue('alerts')).toBe('1');

    await expect.poll(() => cellsOf('[data-vehicle="VH-dash-1"]'), WAIT).toEqual(['VH-dash-1', 'parked', '63%', '0 km/h', '52.5200, 13.4050', expect.stringMatching(/s ago$/), 'MaintenanceRequired']);
    expect((await cellsOf('[data-vehicle="VH-dash-2"]')).slice(0, 4)).toEqual(['VH-dash-2', 'driving', '12%', '31 km/h']);
    expect((await cellsOf('[data-vehicle="VH-dash-3"]')).slice(0, 3)).toEqual(['VH-dash-3', 'charging', '48%']);
    expect(await page.locator('[data-vehicle="VH-dash-2"] .bar > span').evaluate((bar) => (bar as unknown as { style: { width: string } }).style.width)).toBe('12%');
    expect(await page.locator('#plot circle').count()).toBe(3);

    // Text from devices is shown as text: no element made of it, no script run.
    await expect.poll(() => cellsOf('[data-charger="CH-dash-1"]'), WAIT).toContain(SCRIPT_SESSION);
    expect(await cellsOf('[data-charger="CH-dash-2"]')).toContain(IMG_SESSION);
    expect(await page.locator('#events').textContent()).toContain('tyre_fl (medium): <b>slow leak</b>');
    expect(await page.locator('main script, main img, #events b').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
  });
});
