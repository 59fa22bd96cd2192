/**
 * The fleet dashboard end to end: a real cloud (embedded bus, a read token, its public and
 * operator listeners split on ports 0) takes batches through the real ingest, business events
 * and commands through their APIs, the fleet, analytics, maintenance, return saga and command
 * services consume them from the bus, and Chromium (Debian's, driven by playwright-core) loads
 * /dashboard and a vehicle's page from the operator listener and shows what was sent — the
 * later ones arriving over the live stream, without a reload. Every wait polls with a generous
 * deadline: a loaded 2-core CI machine may take seconds for each step. Screenshots go to
 * test-artifacts/dashboard/ (gitignored; the path is printed).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '@fleetwire/protocol';
import { resolveCloudConfig } from '../src/config.js';
import { issueClientToken, issueToken } from '../src/index.js';
import { batchOf, batchOfLines } from './support/batches.js';
import { startCloud, type RunningCloud } from '../src/main.js';
import { connectorReading, eventRecord, reading } from './support/fleet-records.js';
import { sendBatch } from './support/sender.js';

const NODE = 'node-dash';
const READ_TOKEN = 'dashboard-read-token-0123456789';
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/dashboard');
const DAY_MS = 86_400_000;
const yesterday = Date.now() - DAY_MS;
const token = issueToken(NODE);
const booking = issueClientToken('booking');
const payment = issueClientToken('payment');
const dir = mkdtempSync(join(tmpdir(), 'fw-dashboard-'));
const WAIT = { timeout: 60_000, interval: 250 };
const SCRIPT_SESSION = '<script>window.__pwned = 1</script>';
const IMG_SESSION = '<img src=x onerror="window.__pwned = 2">';

let cloud: RunningCloud;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const mapFile = join(dir, 'map.json');
  writeFileSync(mapFile, JSON.stringify({ areas: [
    { id: 'site-dash', name: 'Depot', role: 'site', kind: 'circle', center: { lat: 52.52, lon: 13.405 }, radiusM: 400 },
    { id: 'bays-dash', kind: 'polygon', points: [{ lat: 52.519, lon: 13.403 }, { lat: 52.519, lon: 13.407 }, { lat: 52.521, lon: 13.407 }, { lat: 52.521, lon: 13.403 }] },
  ] }));
  cloud = await startCloud(resolveCloudConfig({
    dataDir: join(dir, 'data'),
    logLevel: 'silent',
    // As security advises: the page and the read APIs on the operator's listener, ingest and the clients' APIs on the public one.
    http: { host: '127.0.0.1', port: 0, operator: { host: '127.0.0.1', port: 0 } },
    auth: { nodes: [{ id: NODE, devices: ['VH-dash-*', 'CH-dash-*'], tokens: [token.entry] }] },
    businessEvents: { clients: [
      { id: 'booking', eventTypes: ['VehicleBooked'], commandTypes: ['UnlockVehicle', 'LockVehicle'], tokens: [booking.entry] },
      { id: 'payment', eventTypes: ['PaymentProcessed'], tokens: [payment.entry] },
    ] },
    fleet: { readToken: READ_TOKEN },
    dashboard: { mapFile },
    // A day closes as soon as a record of the next one was seen and the quiet partitions stop holding the clock back.
    analytics: { dailyLatenessMs: 0, idlePartitionMs: 100 },
  }));
  // Yesterday's trip, sent before any record of today: it closes into a DailyUsageReport once today's readings reach analytics.
  const trip = await sendBatch(cloud.address, token.token, batchOf(NODE, [
    eventRecord('TripEnded', { tripId: 'tr-dash', bookingId: 'bk-dash', vehicleId: 'VH-dash-5', distanceKm: 12.5, durationS: 1800, energyUsedKwh: 2 },
      { source: { kind: 'vehicle', id: 'VH-dash-5' }, subject: { kind: 'vehicle', id: 'VH-dash-5' }, at: yesterday, seq: 1 }),
  ]));
  if (trip.status !== 200) throw new Error(`yesterday's trip refused: ${JSON.stringify(trip.body)}`);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
});

async function screenshot(name: string): Promise<void> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`dashboard screenshot: ${path}`);
}

async function enterToken(): Promise<void> {
  await page.locator('#token-form.shown').waitFor({ timeout: 60_000 });
  await page.fill('#token', READ_TOKEN);
  await page.click('#token-form button');
}

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

    await page.goto(`${cloud.operatorAddress}/dashboard`);
    await enterToken();
    // Four: the three of this batch and the one whose trip of yesterday beforeAll sent (offline since).
    await expect.poll(() => tileValue('vehicles'), WAIT).toBe('4');
    expect(await tileValue('offline')).toBe('1');
    expect(await tileValue('driving')).toBe('1');
    expect(await tileValue('parked')).toBe('1');
    expect(await tileValue('charging')).toBe('1');
    expect(await tileValue('low')).toBe('1');
    expect(await tileValue('chargers')).toBe('2');
    expect(await tileValue('in-use')).toBe('1');
    expect(await tileValue('alerts')).toBe('1');

    await expect.poll(() => cellsOf('[data-vehicle="VH-dash-1"]'), WAIT).toEqual(['VH-dash-1', 'parked', '63%', '0 km/h', '52.5200, 13.4050', expect.stringMatching(/s ago$/), 'MaintenanceRequired']);
    // The positions are drawn over the site area and the return zone of the map file.
    expect(await page.locator('#plot [data-area] polygon').evaluateAll((shapes) => shapes.map((p) => (p as unknown as { getAttribute(n: string): string }).getAttribute('class')))).toEqual(['area site', 'area return']);
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

  it('draws a vehicle history, the maintenance list and the daily report, and takes a live reading without a reload', async () => {
    const now = Date.now();

    // Twelve readings a minute apart, SoC falling, one tyre losing pressure; and a maintenance finding.
    const readings = Array.from({ length: 12 }, (_, i) =>
      reading('VH-dash-5', 10 + i, now - (13 - i) * 60_000, { socPct: 80 - i, speedKph: 20 + i, battery: { tempC: 25 + i / 4 }, tyresKpa: { fl: 240 - i * 2, fr: 241, rl: 238, rr: 239 } }));
    const history = await sendBatch(cloud.address, token.token, batchOf(NODE, [
      ...readings,
      eventRecord('MaintenanceRequired', { component: 'tyre_fl', reason: 'tyre_pressure_low', severity: 'high', confidence: 0.9, predictedFailureWithinDays: 3 },
        { source: { kind: 'edge', id: NODE }, subject: { kind: 'vehicle', id: 'VH-dash-5' }, at: now - 60_000, seq: 30 }),
    ]));
    expect(history).toMatchObject({ status: 200, body: { accepted: 13 } });

    // The fleet view: the finding in the maintenance list, due in three days, high risk; yesterday's report.
    await page.goto(`${cloud.operatorAddress}/dashboard`);
    const due = new Date(now - 60_000 + 3 * DAY_MS).toISOString().slice(0, 10);
    await expect.poll(() => cellsOf('[data-maintenance="VH-dash-5/tyre_fl"]'), WAIT).toEqual([due, 'VH-dash-5', 'tyre_fl', 'high · 90%', 'tyre_pressure_low']);
    const day = new Date(yesterday).toISOString().slice(0, 10);
    await expect.poll(() => cellsOf(`[data-report="${day}/fleet"]`), WAIT).toEqual([day, 'whole fleet', '0', '1', '12.5 km', expect.stringMatching(/%$/), '0.00 EUR']);
    await screenshot('fleet');

    // The vehicle's page: every chart drawn from the twelve points, on a canvas that is not blank.
    await page.goto(`${cloud.operatorAddress}/dashboard/vehicles/VH-dash-5`);
    const points = (chart: string) => page.locator(`#${chart}`).getAttribute('data-points');
    for (const chart of ['chart-soc', 'chart-speed', 'chart-temp', 'chart-tyres']) await expect.poll(() => points(chart), WAIT).toBe('12');
    const inked = (chart: string) => page.locator(`#${chart} canvas`).evaluate((canvas) => {
      const c = canvas as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) count += 1;
      return count;
    });
    expect(await inked('chart-soc')).toBeGreaterThan(100);
    expect(await inked('chart-tyres')).toBeGreaterThan(100);
    expect(await page.locator('#history-source').textContent()).toBe('history from the in-memory window');
    await expect.poll(() => page.locator('[data-fact="soc"] .value').textContent(), WAIT).toBe('69%');
    await expect.poll(() => cellsOf('#vehicle-maintenance [data-maintenance="VH-dash-5/tyre_fl"]'), WAIT).toEqual([due, 'tyre_fl', 'high · 90%', 'tyre_pressure_low']);
    await expect.poll(() => page.locator('#status').getAttribute('data-live'), WAIT).toBe('yes');

    // A new reading reaches the open page over the stream: one more point, the new SoC, the same document.
    await page.evaluate(() => { (globalThis as { __samePage?: number }).__samePage = 1; });
    const live = await sendBatch(cloud.address, token.token, batchOf(NODE, [reading('VH-dash-5', 40, Date.now(), { socPct: 55, speedKph: 7, tyresKpa: { fl: 200, fr: 241, rl: 238, rr: 239 } })]));
    expect(live).toMatchObject({ status: 200, body: { accepted: 1 } });
    await expect.poll(() => points('chart-soc'), WAIT).toBe('13');
    expect(await points('chart-tyres')).toBe('13');
    await expect.poll(() => page.locator('[data-fact="soc"] .value').textContent(), WAIT).toBe('55%');
    expect(await page.evaluate(() => (globalThis as { __samePage?: number }).__samePage)).toBe(1);
    await screenshot('vehicle');
  });

  it('shows a return with its verdict, fleet decision and saga state, and a command with its outcome, as the APIs answer them', async () => {
    const at = Date.now() - 30_000;
    const refs = { bookingId: 'bk-dash-6', vehicleId: 'VH-dash-6', tripId: 'tr-dash-6' };
    const sagaId = 'return-bk-dash-6';
    await page.goto(`${cloud.operatorAddress}/dashboard`);
    await expect.poll(() => page.locator('#status').getAttribute('data-live'), WAIT).toBe('yes');

    // The trip ends and the edge judges the return (damage found): the saga holds the vehicle and asks for payment.
    const trip = await sendBatch(cloud.address, token.token, batchOf(NODE, [
      eventRecord('TripEnded', { ...refs, distanceKm: 4.2, durationS: 900 }, { source: { kind: 'vehicle', id: 'VH-dash-6' }, subject: { kind: 'vehicle', id: 'VH-dash-6' }, at, seq: 50 }),
      eventRecord('ReturnVerified', { ...refs, returnId: 'rt-dash-6', verdict: 'review', fraud: { score: 0.1, reasons: [] }, parkedInGeofence: true, damage: { score: 0.7, findings: [{ label: 'dent', confidence: 0.7 }] } },
        { subject: { kind: 'vehicle', id: 'VH-dash-6' }, source: { kind: 'edge', id: NODE }, at: at + 1000, seq: 51 }),
    ]));
    expect(trip).toMatchObject({ status: 200, body: { accepted: 2, rejected: [] } });
    const returnRow = () => cellsOf(`#returns [data-saga="${sagaId}"]`);
    // Without a reload: the saga's steps reach the page over the live stream.
    await expect.poll(async () => (await returnRow()).slice(1), WAIT).toEqual(['VH-dash-6', 'review → held_for_inspection', 'return_review, damage_found', 'awaiting_payment']);

    // The payment system answers through the business events API: the saga closes.
    const paid = createEvent('PaymentProcessed', {
      eventId: 'payment:p1:1', source: 'service:payment', subject: { kind: 'booking', id: refs.bookingId }, correlationId: sagaId, occurredAt: at + 2000,
      data: { paymentId: 'pay-dash-6', bookingId: refs.bookingId, amountMinor: 480, currency: 'EUR', status: 'captured' },
    });
    const answer = await fetch(`${cloud.address}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${payment.token}` }, body: JSON.stringify(paid) });
    expect(answer.status).toBe(200);
    await expect.poll(async () => (await returnRow()).at(-1), WAIT).toBe('completed');

    // The booking system unlocks the vehicle for its next booking; the node that reported the vehicle is its route.
    const command = (body: Record<string, unknown>) => fetch(`${cloud.address}/v1/commands?waitMs=0`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${booking.token}` }, body: JSON.stringify(body),
    });
    const unlock = await command({ commandId: 'cmd-dash-unlock', type: 'UnlockVehicle', vehicleId: 'VH-dash-6', bookingId: 'bk-dash-7', timeoutMs: 120_000 });
    expect(unlock.status).toBe(202);
    expect(await unlock.json()).toMatchObject({ status: 'pending', nodeId: NODE });
    // A vehicle no node ever reported cannot be reached: failed at once.
    const lock = await command({ commandId: 'cmd-dash-lock', type: 'LockVehicle', vehicleId: 'VH-dash-77', timeoutMs: 120_000 });
    expect(await lock.json()).toMatchObject({ status: 'failed', reason: 'unroutable' });

    // The node's long poll hands the unlock out, and the node answers with the vehicle's unlock, as the edge does.
    const poll = await fetch(`${cloud.address}/v1/downlink/commands?after=0&waitMs=0`, { headers: { authorization: `Bearer ${token.token}` } });
    expect(((await poll.json()) as { commands: Array<{ commandId: string }> }).commands.map((c) => c.commandId)).toEqual(['cmd-dash-unlock']);
    const unlocked = eventRecord('VehicleUnlocked', { bookingId: 'bk-dash-7', vehicleId: 'VH-dash-6', method: 'remote', position: { lat: 52.52, lon: 13.405 } },
      { source: { kind: 'edge', id: NODE }, subject: { kind: 'vehicle', id: 'VH-dash-6' }, correlationId: 'cmd-dash-unlock', at: Date.now(), seq: 52 });
    expect(await sendBatch(cloud.address, token.token, batchOf(NODE, [unlocked]))).toMatchObject({ status: 200, body: { accepted: 1 } });
    const outcome = await fetch(`${cloud.address}/v1/commands/cmd-dash-unlock?waitMs=20000`, { headers: { authorization: `Bearer ${booking.token}` } });
    expect(await outcome.json()).toMatchObject({ status: 'succeeded', outcomeEventId: unlocked.id });

    // The fleet view's command log, newest first, live.
    const commandRow = (table: string, id: string) => cellsOf(`#${table} [data-command="${id}"]`);
    await expect.poll(async () => (await commandRow('commands', 'cmd-dash-unlock')).slice(1), WAIT).toEqual(['UnlockVehicle', 'VH-dash-6', 'succeeded', 'VehicleUnlocked']);
    expect((await commandRow('commands', 'cmd-dash-lock')).slice(1)).toEqual(['LockVehicle', 'VH-dash-77', 'failed', 'unroutable: no edge node has reported this vehicle']);
    expect(await page.locator('#commands tbody tr').evaluateAll((rows) => rows.map((r) => (r as unknown as { getAttribute(n: string): string }).getAttribute('data-command')))).toEqual(['cmd-dash-lock', 'cmd-dash-unlock']);
    await screenshot('returns-and-commands');

    // The vehicle's page: its own commands only.
    await page.goto(`${cloud.operatorAddress}/dashboard/vehicles/VH-dash-6`);
    await expect.poll(async () => (await commandRow('vehicle-commands', 'cmd-dash-unlock')).slice(1), WAIT).toEqual(['UnlockVehicle', 'succeeded', 'VehicleUnlocked']);
    expect(await page.locator('#vehicle-commands tbody tr').count()).toBe(1);
    expect(await page.locator('#vehicle-commands [data-command="cmd-dash-unlock"] td').last().getAttribute('title')).toBe(unlocked.id);
    await screenshot('vehicle-commands');
  });
});
