/**
 * Chargers that speak OCPP-J 1.6 instead of MQTT: the agent as its own process, its OCPP
 * central system on a WebSocket, and as the charge point a client fleetwire did not write
 * (ocpp-rpc from npm, strict mode: every call and answer is checked against the OCPP 1.6 JSON
 * schemas). The uplink forwards to a real HTTP receiver, which is where the records are read.
 */
import type { EventRecord, FleetRecord } from '@fleetwire/protocol';
import { readFileSync } from 'node:fs';
import { RPCClient } from 'ocpp-rpc';
import { createAuthority, issueCertificate } from '@fleetwire/test-servers/certificates';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, waitFor, writeRegistry, type TestDevice } from './support/fleet.js';
import { agentTestBed } from './support/test-bed.js';

const TOKEN = 'node-token-ocpp';
const bed = agentTestBed(TOKEN);
const CHARGER: TestDevice = { id: 'CH-OCPP1', kind: 'charger', password: 'ocpp-secret-1' };
const VEHICLE: TestDevice = { id: 'VH-OCPP1', kind: 'vehicle', password: 'vehicle-secret-1' };
const ID_TAG_KEY = 'test-key-for-id-tags-0123456789';
const chargers: RPCClient[] = [];

afterEach(async () => {
  for (const charger of chargers.splice(0)) await charger.close({ force: true }).catch(() => undefined);
});

async function startAgent(dir: string, nodeId: string) {
  const { config } = await startAgentConfig(dir, nodeId);
  return { config, agent: await bed.startAgent(config, dir) };
}

async function startAgentConfig(dir: string, nodeId: string) {
  const config = {
    nodeId,
    dataDir: 'data',
    devices: { registryFile: await writeRegistry(dir, [CHARGER, VEHICLE]) },
    mqtt: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    cloud: { url: bed.receiver.url, token: TOKEN },
    uplink: { baseBackoffMs: 50, maxBackoffMs: 500 },
    ocpp: { enabled: true, host: '127.0.0.1', port: 0, idTagKey: ID_TAG_KEY, authorize: { policy: 'list', idTags: ['RFID-OK'] } },
  };
  return { config };
}

function chargePoint(endpoint: string, device: { id: string; password: string } = CHARGER, wsOpts: Record<string, unknown> = {}): RPCClient {
  // ocpp-rpc's typings declare every option required; the library fills in the documented defaults.
  const options = { endpoint, identity: device.id, password: device.password, protocols: ['ocpp1.6'], strictMode: true, reconnect: false, wsOpts };
  const client = new RPCClient(options as unknown as ConstructorParameters<typeof RPCClient>[0]);
  chargers.push(client);
  return client;
}

const received = (predicate: (record: FleetRecord) => boolean) => {
  const byId = new Map<string, FleetRecord>();
  for (const record of bed.receiver.records) if (record.source.id === CHARGER.id && predicate(record)) byId.set(record.id, record);
  return [...byId.values()];
};
const events = (type: string) => received((r) => r.kind === 'event' && r.payload.type === type) as EventRecord[];
/** Times relative to one instant per file, so durations between them are exact. */
const NOW = Date.now();
const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();

describe('OCPP-J 1.6 central system against an ocpp-rpc charge point', () => {
  it('boots, beats, reports status and meter values and runs a transaction; each becomes its record, the id tag pseudonymised', async () => {
    const dir = tempDir('ocpp');
    const { agent } = await startAgent(dir, 'node-ocpp-1');
    const endpoint = agent.addresses.ocpp as string;
    expect(endpoint).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ocpp$/);

    // Wrong password, and a vehicle's credentials: refused at the handshake.
    await expect(chargePoint(endpoint, { id: CHARGER.id, password: 'wrong' }).connect()).rejects.toThrow();
    await expect(chargePoint(endpoint, VEHICLE).connect()).rejects.toThrow();

    const cp = chargePoint(endpoint);
    await cp.connect();
    expect(cp.protocol).toBe('ocpp1.6');
    expect(await cp.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Wallbox 22' })).toMatchObject({ status: 'Accepted', interval: 300 });
    expect(await cp.call('Heartbeat', {})).toHaveProperty('currentTime');
    expect(await cp.call('Authorize', { idTag: 'RFID-OK' })).toEqual({ idTagInfo: { status: 'Accepted' } });
    expect(await cp.call('Authorize', { idTag: 'RFID-STOLEN' })).toEqual({ idTagInfo: { status: 'Invalid' } });
    await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing', timestamp: minutesAgo(3) });
    const started = (await cp.call('StartTransaction', { connectorId: 1, idTag: 'RFID-OK', meterStart: 10_000, timestamp: minutesAgo(2) })) as { transactionId: number; idTagInfo: { status: string } };
    expect(started.idTagInfo.status).toBe('Accepted');
    await cp.call('MeterValues', {
      connectorId: 1,
      transactionId: started.transactionId,
      meterValue: [
        {
          timestamp: minutesAgo(1),
          sampledValue: [
            { value: '10.4', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
            { value: '22000', measurand: 'Power.Active.Import', unit: 'W' },
            { value: '57', measurand: 'SoC', unit: 'Percent' },
          ],
        },
      ],
    });
    await cp.call('StopTransaction', { transactionId: started.transactionId, meterStop: 10_800, timestamp: minutesAgo(0), reason: 'EVDisconnected' });

    await waitFor(() => events('ChargingSessionStopped').length === 1, 20_000, 'the session stop at the receiver');
    const [start] = events('ChargingSessionStarted');
    expect(start?.payload.data).toMatchObject({ sessionId: `tx-${started.transactionId}`, chargerId: CHARGER.id, connectorId: 1, meterStartWh: 10_000 });
    const idTag = (start?.payload.data as { idTag: string }).idTag;
    expect(idTag).toMatch(/^p[0-9a-f]{19}$/);
    expect(JSON.stringify(bed.receiver.records)).not.toContain('RFID-OK');
    expect(events('ChargingSessionStopped')[0]?.payload.data).toMatchObject({ sessionId: `tx-${started.transactionId}`, energyWh: 800, meterStopWh: 10_800, reason: 'EVDisconnected' });
    expect(events('ChargingSessionStopped')[0]?.payload.data).toHaveProperty('durationS', 120);
    const telemetry = received((r) => r.kind === 'charger_telemetry').map((r) => r.payload);
    expect(telemetry).toContainEqual(expect.objectContaining({ connectorId: 1, status: 'Preparing', errorCode: 'NoError' }));
    expect(telemetry).toContainEqual(expect.objectContaining({ connectorId: 1, energyWh: 10_400, powerKw: 22, socPct: 57, sessionId: `tx-${started.transactionId}` }));
    expect(await agent.kill('SIGTERM')).toBe(0);
  });

  it('serves security profile 2: basic auth over wss, beside the plain listener', async () => {
    const dir = tempDir('ocpp-tls');
    const authority = createAuthority(dir, 'ca');
    const server = issueCertificate(dir, 'server', { commonName: '127.0.0.1', authority, altNames: ['IP:127.0.0.1'] });
    const { config } = await startAgentConfig(dir, 'node-ocpp-tls');
    const agent = await bed.startAgent({ ...config, ocpp: { ...config.ocpp, tls: { enabled: true, port: 0, keyFile: server.key, certFile: server.cert } } }, dir);
    expect(agent.addresses.ocppTls).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ocpp$/);
    const ca = readFileSync(authority.cert);
    await expect(chargePoint(agent.addresses.ocppTls as string, { id: CHARGER.id, password: 'wrong' }, { ca }).connect()).rejects.toThrow();
    const cp = chargePoint(agent.addresses.ocppTls as string, CHARGER, { ca, minVersion: 'TLSv1.2' });
    await cp.connect();
    await cp.call('StatusNotification', { connectorId: 4, errorCode: 'NoError', status: 'Available', timestamp: minutesAgo(5) });
    await waitFor(() => received((r) => r.kind === 'charger_telemetry' && (r.payload as { connectorId?: number }).connectorId === 4).length === 1, 20_000, 'the status over wss');
    expect(await agent.kill('SIGTERM')).toBe(0);
  });

  it('takes the transactions a charger queued while offline, sent in order on reconnect, at their own times', async () => {
    const dir = tempDir('ocpp-offline');
    const { agent } = await startAgent(dir, 'node-ocpp-2');
    const cp = chargePoint(agent.addresses.ocpp as string);
    await cp.connect();
    // Two whole sessions that happened while the charger had no connection.
    const sessions = [
      { start: 10_800, stop: 25_800, startedAt: minutesAgo(90), stoppedAt: minutesAgo(60) },
      { start: 25_800, stop: 31_000, startedAt: minutesAgo(40), stoppedAt: minutesAgo(30) },
    ];
    for (const s of sessions) {
      const { transactionId } = (await cp.call('StartTransaction', { connectorId: 2, idTag: 'RFID-OK', meterStart: s.start, timestamp: s.startedAt })) as { transactionId: number };
      await cp.call('StopTransaction', {
        transactionId, meterStop: s.stop, timestamp: s.stoppedAt, reason: 'Local',
        transactionData: [{ timestamp: s.startedAt, sampledValue: [{ value: String(s.start) }] }, { timestamp: s.stoppedAt, sampledValue: [{ value: String(s.stop) }] }],
      });
    }
    await waitFor(() => events('ChargingSessionStopped').filter((e) => e.payload.data && (e.payload.data as { connectorId: number }).connectorId === 2).length === 2, 20_000, 'both queued sessions');
    const stops = events('ChargingSessionStopped').filter((e) => (e.payload.data as { connectorId: number }).connectorId === 2);
    expect(stops.map((e) => [e.payload.occurredAt, (e.payload.data as { energyWh: number }).energyWh]).sort()).toEqual(sessions.map((s) => [s.stoppedAt, s.stop - s.start]).sort());
    const register = received((r) => r.kind === 'charger_telemetry' && (r.payload as { connectorId?: number }).connectorId === 2).map((r) => [r.deviceTime, (r.payload as { energyWh: number }).energyWh]);
    expect(register.sort()).toEqual(sessions.flatMap((s) => [[Date.parse(s.startedAt), s.start], [Date.parse(s.stoppedAt), s.stop]]).sort());
    expect(await agent.kill('SIGTERM')).toBe(0);
  });

  it('loses and doubles nothing when the agent is killed -9 mid-session and the charger re-sends the unanswered call', async () => {
    const dir = tempDir('ocpp-kill');
    const { config, agent: first } = await startAgent(dir, 'node-ocpp-3');
    const cp = chargePoint(first.addresses.ocpp as string);
    await cp.connect();
    const start = { connectorId: 3, idTag: 'RFID-OK', meterStart: 40_000, timestamp: minutesAgo(20) };
    const { transactionId } = (await cp.call('StartTransaction', start)) as { transactionId: number };
    const meter = { connectorId: 3, transactionId, meterValue: [{ timestamp: minutesAgo(10), sampledValue: [{ value: '45000' }] }] };
    await cp.call('MeterValues', meter);
    const stop = { transactionId, meterStop: 48_000, timestamp: minutesAgo(1), reason: 'Local' };
    // The stop goes out and the agent dies at once: its answer may or may not have been sent.
    const unanswered = cp.call('StopTransaction', stop).then(() => 'answered', () => 'lost');
    await first.kill('SIGKILL');
    console.log(`ocpp kill -9: the StopTransaction in flight was ${await unanswered} before the kill`);

    const second = await bed.startAgent(config, dir);
    const again = chargePoint(second.addresses.ocpp as string);
    await again.connect();
    // A charger re-sends what it has no answer for; this one re-sends everything of the session.
    expect(await again.call('StartTransaction', start)).toMatchObject({ transactionId });
    await again.call('MeterValues', meter);
    await again.call('StopTransaction', stop);

    await waitFor(() => events('ChargingSessionStopped').some((e) => (e.payload.data as { connectorId: number }).connectorId === 3), 20_000, 'the stop after the restart');
    const ofSession = (type: string) => events(type).filter((e) => (e.payload.data as { sessionId: string }).sessionId === `tx-${transactionId}`);
    expect(ofSession('ChargingSessionStarted')).toHaveLength(1);
    expect(ofSession('ChargingSessionStopped')).toHaveLength(1);
    expect(ofSession('ChargingSessionStopped')[0]?.payload.data).toMatchObject({ energyWh: 8_000, durationS: 19 * 60 });
    const meterReadings = received((r) => r.kind === 'charger_telemetry' && (r.payload as { sessionId?: string }).sessionId === `tx-${transactionId}`);
    expect(meterReadings).toHaveLength(1);
    expect(await second.kill('SIGTERM')).toBe(0);
  });
});
