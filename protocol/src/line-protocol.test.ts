import { describe, expect, it } from 'vitest';
import { chargerRecordFixture, eventRecordFixture, vehicleRecordFixture, FIXTURE_TIME } from '../test/support/fixtures.js';
import { escapeKey, escapeMeasurement, escapeStringField, formatLineProtocol, toPoints } from './line-protocol.js';

describe('toPoints', () => {
  it('maps vehicle telemetry to one point at device time, tagged by vehicle id', () => {
    const [point, ...rest] = toPoints(vehicleRecordFixture());
    expect(rest).toHaveLength(0);
    expect(point).toMatchObject({
      measurement: 'vehicle',
      tags: { vehicle_id: 'VH-0001' },
      timestampMs: FIXTURE_TIME,
    });
    expect(point!.fields).toMatchObject({ soc_pct: 76.5, odometer_km: 12_345.6, locked: { int: 0 }, ignition: { int: 1 } });
    expect(Object.keys(point!.tags)).toEqual(['vehicle_id']);
  });

  it('maps charger telemetry with connector and site tags and numeric status', () => {
    const [point] = toPoints(chargerRecordFixture());
    expect(point!.tags).toEqual({ charger_id: 'CH-0001', connector: '1', site: 'site-berlin-1' });
    expect(point!.fields).toMatchObject({ power_kw: 49.8, status_code: { int: 2 }, charging: { int: 1 }, error: { int: 0 } });
  });

  it('writes only the fields a sparse reading carried, and no point for a reading without measurements', () => {
    const base = vehicleRecordFixture();
    const sparse = { ...base, payload: { v: 1 as const, ts: FIXTURE_TIME, socPct: 55, tyresKpa: { fl: 231 } } };
    const [point, ...rest] = toPoints(sparse);
    expect(rest).toHaveLength(0);
    expect(point!.fields).toEqual({ soc_pct: 55, tyre_fl_kpa: 231 });
    expect(formatLineProtocol(toPoints(sparse))).toBe('vehicle,vehicle_id=VH-0001 soc_pct=55,tyre_fl_kpa=231 1748766600000');
    expect(toPoints({ ...base, payload: { v: 1, ts: FIXTURE_TIME } })).toEqual([]);
    const charger = chargerRecordFixture();
    const [chargerPoint] = toPoints({ ...charger, payload: { v: 1, ts: FIXTURE_TIME, status: 'Faulted' } });
    expect(chargerPoint!.tags).toEqual({ charger_id: 'CH-0001' });
    expect(chargerPoint!.fields).toEqual({ status_code: { int: 8 }, charging: { int: 0 }, faulted: { int: 1 } });
  });

  it('maps events to no point', () => {
    expect(toPoints(eventRecordFixture())).toEqual([]);
  });

  it('formats fixture telemetry as the expected lines', () => {
    const text = formatLineProtocol([...toPoints(vehicleRecordFixture()), ...toPoints(chargerRecordFixture())]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^vehicle,vehicle_id=VH-0001 lat=52\.52,lon=13\.405,.*,locked=0i,ignition=1i,dtc_count=0i 1748766600000$/);
    expect(lines[1]).toMatch(/^charger,charger_id=CH-0001,connector=1,site=site-berlin-1 power_kw=49\.8,energy_wh=1204500,/);
  });
});

describe('formatLineProtocol', () => {
  it('types fields: floats bare, integers with i, booleans, quoted strings', () => {
    const line = formatLineProtocol([
      { measurement: 'm', tags: {}, fields: { f: 1.5, whole: 2, n: { int: 7 }, t: true, b: false, s: 'hi' }, timestampMs: 1 },
    ]);
    expect(line).toBe('m f=1.5,whole=2,n=7i,t=true,b=false,s="hi" 1');
  });

  it('escapes measurement, tag keys and values, field keys and string values', () => {
    const line = formatLineProtocol([
      {
        measurement: 'my meas,ure=ment',
        tags: { 'tag key': 'a,b=c d', 'z=': 'x' },
        fields: { 'field,key 1': { int: 3 }, quote: 'say "hi" \\ bye' },
        timestampMs: 1_700_000_000_123,
      },
    ]);
    expect(line).toBe(
      'my\\ meas\\,ure=ment,tag\\ key=a\\,b\\=c\\ d,z\\==x field\\,key\\ 1=3i,quote="say \\"hi\\" \\\\ bye" 1700000000123',
    );
  });

  it('never lets a newline split a line', () => {
    const text = formatLineProtocol([{ measurement: 'm\n', tags: { t: 'a\nb' }, fields: { s: 'x\ny' }, timestampMs: 1 }]);
    expect(text.split('\n')).toHaveLength(1);
    expect(text).toBe('m\\n,t=a\\nb s="x\\ny" 1');
  });

  it('sorts tags, drops empty tag values and unrepresentable fields, truncates timestamps to ms', () => {
    const text = formatLineProtocol([
      { measurement: 'm', tags: { b: '2', a: '1', empty: '' }, fields: { nan: Number.NaN, inf: { int: Infinity }, ok: 1 }, timestampMs: 5.9 },
      { measurement: 'skipped', tags: {}, fields: { nan: Number.NaN }, timestampMs: 1 },
    ]);
    expect(text).toBe('m,a=1,b=2 ok=1 5');
  });

  it('escape helpers follow the spec per element', () => {
    expect(escapeMeasurement('a=b,c d')).toBe('a=b\\,c\\ d');
    expect(escapeKey('a=b,c d')).toBe('a\\=b\\,c\\ d');
    expect(escapeKey('back\\slash')).toBe('back\\\\slash');
    expect(escapeStringField('a,b=c "d"')).toBe('"a,b=c \\"d\\""');
    expect(formatLineProtocol([])).toBe('');
  });
});
