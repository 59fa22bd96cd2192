/**
 * The audit trail through the whole cloud: configuration at start, a payment accepted by the
 * business events API, a return verdict and a fraud flag sent by an edge node — each in the log
 * once (also when re-sent), queryable by subject and time through GET /v1/audit, and a
 * `fleetwire cloud audit verify` that passes on the log as written and fails once an entry is
 * modified or removed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createEvent, createEventRecord, encodeBatch, type EventEnvelope } from '@fleetwire/protocol';
import { eventDataFixture } from '@fleetwire/protocol/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueClientToken } from '../business-events/clients/client-tokens.js';
import { runCloudCommand } from '../cli.js';
import { loadCloudConfig } from '../config.js';
import { issueToken } from '../ingest/auth/tokens.js';
import { startCloud, type RunningCloud } from '../main.js';

const READ_TOKEN = 'audit-read-token-0123456789';
const node = issueToken('node-1');
const payment = issueClientToken('payment');
const dir = mkdtempSync(join(tmpdir(), 'fw-audit-trail-'));
const configFile = join(dir, 'cloud.json');
let cloud: RunningCloud;

interface Entry { seq: number; at: string; action: string; actor: string; subject: string; detail: Record<string, unknown>; hash: string; prevHash: string }

beforeAll(async () => {
  writeFileSync(configFile, JSON.stringify({
    dataDir: dir,
    logLevel: 'silent',
    http: { host: '127.0.0.1', port: 0 },
    bus: { kind: 'embedded', pollIntervalMs: 20 },
    auth: { nodes: [{ id: 'node-1', devices: ['VH-*'], tokens: [node.entry] }] },
    businessEvents: { clients: [{ id: 'payment', eventTypes: ['PaymentProcessed'], tokens: [payment.entry] }] },
    fleet: { readToken: READ_TOKEN },
    analytics: { enabled: false },
    maintenance: { enabled: false },
  }));
  cloud = await startCloud(loadCloudConfig({ file: configFile, env: {} }));
});

afterAll(async () => {
  await cloud.stop();
  rmSync(dir, { recursive: true, force: true });
});

const audit = async (query: string, token: string | null = READ_TOKEN) =>
  fetch(`${cloud.address}/v1/audit?${query}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
const entries = async (query: string): Promise<Entry[]> => ((await (await audit(query)).json()) as { entries: Entry[] }).entries;

async function sendFromEdge(events: EventEnvelope[]): Promise<void> {
  const records = events.map((event) => createEventRecord(event, { source: { kind: 'edge', id: 'node-1' }, receivedAt: Date.now() }));
  const batch = encodeBatch({ nodeId: 'node-1', createdAt: Date.now(), records });
  const answer = await fetch(`${cloud.address}/v1/batches`, { method: 'POST', headers: { ...batch.headers, authorization: `Bearer ${node.token}` }, body: batch.body });
  expect(answer.status).toBe(200);
}

describe('audit trail', () => {
  it('records payments, verdicts and fraud flags from the bus once each, queryable by subject and time', async () => {
    const occurredAt = '2026-03-01T10:00:00Z';
    const paid = createEvent('PaymentProcessed', { eventId: 'payment:a1:1', source: 'service:payment', subject: { kind: 'booking', id: 'booking-0007' }, occurredAt, data: eventDataFixture('PaymentProcessed') });
    for (let copy = 0; copy < 2; copy += 1) {
      const answer = await fetch(`${cloud.address}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${payment.token}` }, body: JSON.stringify(paid) });
      expect(answer.status).toBe(200);
    }
    const verdict = createEvent('ReturnVerified', { eventId: 'node-1:v1:1', source: 'edge:node-1', subject: { kind: 'vehicle', id: 'VH-0001' }, occurredAt, data: eventDataFixture('ReturnVerified') });
    const fraud = createEvent('FraudDetected', { eventId: 'node-1:v1:2', source: 'edge:node-1', subject: { kind: 'vehicle', id: 'VH-0001' }, occurredAt: '2026-03-01T10:00:01Z', data: eventDataFixture('FraudDetected') });
    await sendFromEdge([verdict, fraud]);
    // The verdict sent again: one entry (ingest skips the known id; a copy that reached the bus would share its ref).
    await sendFromEdge([verdict]);

    await expect.poll(async () => (await entries('subject=vehicle:VH-0001')).length, { timeout: 10_000, interval: 100 }).toBe(2);
    const vehicle = await entries('subject=vehicle:VH-0001');
    expect(vehicle.map((e) => [e.action, e.actor, e.at])).toEqual([
      ['return_verdict', 'edge:node-1', '2026-03-01T10:00:00.000Z'],
      ['fraud_flag', 'edge:node-1', '2026-03-01T10:00:01.000Z'],
    ]);
    expect(vehicle[0]!.detail).toMatchObject({ eventId: 'node-1:v1:1', returnId: 'ret-0031', verdict: 'review', damageScore: 0.71 });
    expect(vehicle[1]!.detail).toMatchObject({ score: 0.93, reasons: eventDataFixture('FraudDetected').reasons });
    await expect.poll(async () => (await entries('subject=booking:booking-0007')).length, { timeout: 10_000, interval: 100 }).toBe(1);
    expect((await entries('subject=booking:booking-0007'))[0]).toMatchObject({
      action: 'business_event_accepted', actor: 'service:payment',
      detail: { eventId: 'payment:a1:1', type: 'PaymentProcessed', paymentId: 'pay-7781', amountMinor: 1890, currency: 'EUR', status: 'captured' },
    });
    expect((await entries('subject=vehicle:VH-0001&from=2026-03-01T10:00:01Z&to=2026-03-01T11:00:00Z')).map((e) => e.action)).toEqual(['fraud_flag']);
    expect((await entries('action=fraud_flag')).map((e) => e.subject)).toEqual(['vehicle:VH-0001']);

    const config = await entries('action=config_loaded');
    expect(config).toHaveLength(1);
    expect(config[0]!.detail).toMatchObject({ config: { fleet: { readToken: '[redacted]' } } });
    expect(JSON.stringify(config)).not.toContain(READ_TOKEN);

    expect((await audit('subject=vehicle:VH-0001', null)).status).toBe(401);
    expect((await audit('from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z')).status).toBe(400);
  });

  it('has the command line record the tokens it issues, and verify pass on the log as written', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    try {
      expect(await runCloudCommand(['issue-token', '--node', 'node-2', '--devices', 'VH-9*', '--write', '--config', configFile])).toBe(0);
      expect(await runCloudCommand(['issue-client-token', '--client', 'booking', '--event-types', 'VehicleBooked', '--config', configFile])).toBe(0);
      const issued = await entries('action=credential_issued');
      expect(issued.map((e) => [e.subject, e.detail.written])).toEqual([['node:node-2', true], ['client:booking', false]]);
      expect(issued.every((e) => e.actor.startsWith('cli:') && (e.detail.sha256 as string).length === 16)).toBe(true);
      lines.length = 0;
      expect(await runCloudCommand(['audit', 'verify', '--config', configFile])).toBe(0);
      expect(lines[0]).toMatch(/intact, 6 entries$/);
      expect(lines[1]).toMatch(/^head 6:[0-9a-f]{64} /);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('has verify name a modified entry and a removed one, exit 3, and a cut-off end against the head printed before', async () => {
    await cloud.stop();
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    try {
      expect(await runCloudCommand(['audit', 'verify', '--config', configFile])).toBe(0);
      const head = /^head (\S+) /.exec(lines[1]!)![1]!;
      const db = new Database(join(dir, 'audit.sqlite'));
      db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete');
      db.prepare(`UPDATE audit_log SET detail = replace(detail, '"verdict":"review"', '"verdict":"accepted"') WHERE action = 'return_verdict'`).run();
      const modified = (db.prepare(`SELECT seq FROM audit_log WHERE action = 'return_verdict'`).pluck().get() as number);
      db.prepare(`DELETE FROM audit_log WHERE action = 'fraud_flag'`).run();
      db.prepare('DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)').run();
      db.close();

      lines.length = 0;
      expect(await runCloudCommand(['audit', 'verify', '--head', head, '--config', configFile])).toBe(3);
      const out = lines.join('\n');
      expect(out).toContain('MODIFIED');
      expect(out).toContain(`entry ${modified}: hash does not match its content`);
      expect(out).toMatch(/entry \d+: follows entry \d+ \(entries \d+–\d+ are missing\)/);
      expect(out).toContain('the recorded head, entry 6, is no longer in the log (newest is 5)');
      expect(await runCloudCommand(['audit', 'verify', '--head', 'nonsense', '--config', configFile])).toBe(2);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
