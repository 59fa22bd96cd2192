import { describe, expect, it } from 'vitest';
import { createRandom } from '../random/random.js';
import { createFramingState, frameEmissions } from '../world/framing.js';
import type { OutgoingMessage } from '../world/outgoing.js';
import { createPublishLedger, type LedgerEntry } from './ledger.js';
import { messageIdOf } from './message-id-of.js';

const T0 = Date.UTC(2025, 6, 7, 8);

function framed(): OutgoingMessage[] {
  const framing = createFramingState([{ kind: 'charger', id: 'CH-0007', clockSkewMs: 0 }], createRandom(1));
  const telemetry = { siteId: 'site-01', connectorId: 1, status: 'Available', powerKw: 0, energyWh: 1000, voltageV: 400, currentA: 0, tempC: 12, sessionId: null, errorCode: 'NoError' };
  return frameEmissions(
    framing,
    [
      { device: { kind: 'charger', id: 'CH-0007' }, emission: { channel: 'telemetry', at: T0, body: telemetry } },
      { device: { kind: 'charger', id: 'CH-0007' }, emission: { channel: 'events', at: T0, type: 'ChargerFaulted', subject: { kind: 'charger', id: 'CH-0007' }, data: { chargerId: 'CH-0007', connectorId: 1, errorCode: 'GroundFailure' } } },
      { device: { kind: 'charger', id: 'CH-0007' }, emission: { channel: 'telemetry', at: T0 + 1, body: telemetry } },
    ],
    (t) => t,
  ).messages;
}

describe('publish ledger', () => {
  it('follows each id from queued to acked or abandoned, and exports JSON lines', () => {
    const [a, b, c] = framed() as [OutgoingMessage, OutgoingMessage, OutgoingMessage];
    const ledger = createPublishLedger();
    ledger.record(a, 1);
    ledger.record({ ...b, copies: 2, faults: ['dupes'] }, 1);
    ledger.record({ ...c, bytes: Buffer.from('{"v":1,'), faults: ['malformed'], expect: { outcome: 'quarantined', reason: 'malformed_json' } }, 1);
    expect(() => ledger.record(a, 2)).toThrow(/recorded twice/);
    ledger.sent(a.id, 2);
    ledger.sent(b.id, 2);
    ledger.sent(b.id, 2);
    ledger.sent(c.id, 2);
    ledger.acked(a.id, 3);
    ledger.acked(b.id, 3);
    ledger.abandoned(a.id, 'too late');
    ledger.abandoned(c.id, 'Connection closed');
    expect(ledger.get(a.id)).toMatchObject({ status: 'acked', attempts: 1, acks: 1, firstSentAt: 2, ackedAt: 3 });
    expect(ledger.get(b.id)).toMatchObject({ status: 'acked', attempts: 2, acks: 1, copies: 2, eventType: 'ChargerFaulted' });
    expect(ledger.get(c.id)).toMatchObject({ status: 'abandoned', abandonReason: 'Connection closed', bytesBase64: Buffer.from('{"v":1,').toString('base64') });
    expect(ledger.summary()).toEqual({ total: 3, acked: 2, pending: 0, abandoned: 1, expectedQuarantine: { malformed_json: 1 }, byFault: { dupes: 1, malformed: 1 } });
    const lines = ledger.toJsonLines().trim().split('\n').map((line) => JSON.parse(line) as LedgerEntry);
    expect(lines.map((e) => e.id)).toEqual([a.id, b.id, c.id]);
    expect(lines[2]?.expect).toEqual({ outcome: 'quarantined', reason: 'malformed_json' });
  });

  it('reads ids back from published bytes the way the edge derives them', () => {
    const [telemetry, event] = framed() as [OutgoingMessage, OutgoingMessage];
    expect(messageIdOf(telemetry.topic, telemetry.bytes)).toBe(telemetry.id);
    expect(messageIdOf(event.topic, event.bytes)).toBe(event.id);
    expect(messageIdOf(telemetry.topic, Buffer.from('{"v":1,'))).toBeUndefined();
    expect(messageIdOf('not/a/topic', telemetry.bytes)).toBeUndefined();
  });
});
