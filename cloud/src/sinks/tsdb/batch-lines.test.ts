import { toBusMessage } from '@fleetwire/protocol';
import { eventRecordFixture } from '@fleetwire/protocol/testing';
import { describe, expect, it } from 'vitest';
import type { DeliveredMessage } from '../../bus/bus.js';
import { batchLines, joinLines } from './batch-lines.js';
import { chargerSample, vehicleSample } from '../../../test/support/tsdb-records.js';

const T = Date.UTC(2026, 0, 1);
const delivered = (messages: Array<ReturnType<typeof toBusMessage> | { topic: string; key: string; value: Buffer; headers: Record<string, string> }>): DeliveredMessage[] =>
  messages.map((m, i) => ({ ...m, partition: 0, offset: String(i) }));

describe('batchLines', () => {
  it('maps telemetry to one line per point with the device time in ms, and events to none', () => {
    const lines = batchLines(delivered([
      toBusMessage(vehicleSample('VH-7', 1, T)), toBusMessage(chargerSample('CH-3', 2, T + 1000)), toBusMessage(eventRecordFixture()),
    ]));
    expect(lines.points).toBe(2);
    const [vehicle, charger] = joinLines(lines.records).split('\n');
    expect(vehicle).toMatch(new RegExp(`^vehicle,vehicle_id=VH-7 .*soc_pct=51(,|\\s).* ${T}$`));
    expect(charger).toMatch(new RegExp(`^charger,charger_id=CH-3,connector=1,site=site-berlin-1 .*power_kw=12(,|\\s).* ${T + 1000}$`));
    expect(lines.skipped).toEqual([]);
  });

  it('keeps each record’s lines and message apart, so that a refused write can be narrowed down to records', () => {
    const messages = delivered([toBusMessage(vehicleSample('VH-7', 1, T)), toBusMessage(eventRecordFixture()), toBusMessage(chargerSample('CH-3', 2, T))]);
    const lines = batchLines(messages);
    expect(lines.records.map((r) => [r.message.offset, r.points])).toEqual([['0', 1], ['2', 1]]);
    expect(lines.records[1]?.record.source).toEqual({ kind: 'charger', id: 'CH-3' });
    expect(lines.records.map((r) => r.lines.split('\n').length)).toEqual([1, 1]);
  });

  it('keeps one copy of a record delivered twice in the same batch', () => {
    const record = toBusMessage(vehicleSample('VH-7', 1, T));
    const lines = batchLines(delivered([record, toBusMessage(vehicleSample('VH-7', 2, T + 1)), record]));
    expect(lines.points).toBe(2);
    expect(lines.duplicates).toBe(1);
  });

  it('skips a value that does not decode, with its reason, and keeps its neighbours', () => {
    const lines = batchLines(delivered([
      { topic: 't', key: 'VH-7', value: Buffer.from('{not json'), headers: {} },
      toBusMessage(vehicleSample('VH-7', 3, T)),
      { topic: 't', key: 'VH-7', value: Buffer.from('{"id":"x"}'), headers: {} },
    ]));
    expect(lines.points).toBe(1);
    expect(lines.skipped.map((s) => [s.offset, s.reason])).toEqual([['0', 'malformed_json'], ['2', 'schema_violation']]);
    expect(lines.skipped[0]?.message.value.toString()).toBe('{not json');
  });
});
