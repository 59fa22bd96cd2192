import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { authorizePublish, authorizeSubscribe, commandsFilter, formatTopic, parseTopic, type Identity } from './topics.js';

const vehicle: Identity = { role: 'device', kind: 'vehicle', deviceId: 'VH-0001' };
const charger: Identity = { role: 'device', kind: 'charger', deviceId: 'CH-0001' };
const edge: Identity = { role: 'edge', nodeId: 'node-1' };

describe('parseTopic / formatTopic', () => {
  it.each([
    ['fleetwire/v1/vehicle/VH-0001/telemetry', { kind: 'vehicle', deviceId: 'VH-0001', channel: 'telemetry' }],
    ['fleetwire/v1/charger/CH-0001/events', { kind: 'charger', deviceId: 'CH-0001', channel: 'events' }],
    [
      'fleetwire/v1/vehicle/VH-0001/commands/charging/start',
      { kind: 'vehicle', deviceId: 'VH-0001', channel: 'commands', command: 'charging/start' },
    ],
  ] as const)('round-trips %s', (topic, parts) => {
    const parsed = parseTopic(topic);
    expect(parsed).toEqual({ ok: true, value: parts });
    expect(formatTopic(parts)).toBe(topic);
  });

  it.each([
    'fleetwire/v2/vehicle/VH-0001/telemetry',
    'fleetwire/v1/truck/VH-0001/telemetry',
    'fleetwire/v1/vehicle/VH 1/telemetry',
    'fleetwire/v1/vehicle/VH-0001/status',
    'fleetwire/v1/vehicle/VH-0001/telemetry/extra',
    'fleetwire/v1/vehicle/VH-0001/commands',
    'fleetwire/v1/vehicle/VH-0001/commands/',
    'fleetwire/v1/vehicle//telemetry',
    'other/topic',
    '',
  ])('refuses %j as topic_unknown', (topic) => {
    const parsed = parseTopic(topic);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toBe('topic_unknown');
  });

  it('formatTopic throws on invalid parts', () => {
    expect(() => formatTopic({ kind: 'vehicle', deviceId: 'VH/1', channel: 'telemetry' })).toThrow(ProtocolError);
    expect(() => formatTopic({ kind: 'vehicle', deviceId: 'VH-1', channel: 'commands', command: 'a/+' })).toThrow(ProtocolError);
    expect(() => formatTopic({ kind: 'vehicle', deviceId: 'VH-1', channel: 'telemetry', command: 'x' })).toThrow(ProtocolError);
  });

  it('commandsFilter names the own commands subtree', () => {
    expect(commandsFilter('charger', 'CH-0001')).toBe('fleetwire/v1/charger/CH-0001/commands/#');
  });
});

const reasonOf = (verdict: { ok: boolean; reason?: string }) => (verdict.ok ? 'ok' : verdict.reason);

describe('authorizePublish', () => {
  it('lets a device publish telemetry and events on its own topics', () => {
    expect(authorizePublish(vehicle, 'fleetwire/v1/vehicle/VH-0001/telemetry')).toEqual({
      ok: true,
      value: { kind: 'vehicle', deviceId: 'VH-0001', channel: 'telemetry' },
    });
    expect(reasonOf(authorizePublish(charger, 'fleetwire/v1/charger/CH-0001/events'))).toBe('ok');
  });

  it.each([
    [vehicle, 'fleetwire/v1/vehicle/VH-0002/telemetry', 'topic_forbidden'],
    [vehicle, 'fleetwire/v1/charger/VH-0001/telemetry', 'topic_forbidden'],
    [vehicle, 'fleetwire/v1/vehicle/VH-0001/commands/unlock', 'topic_forbidden'],
    [vehicle, 'fleetwire/v1/vehicle/+/telemetry', 'topic_forbidden'],
    [vehicle, 'fleetwire/v1/vehicle/VH-0001/#', 'topic_forbidden'],
    [vehicle, 'fleetwire/v1/vehicle/VH-0001/diagnostics', 'topic_unknown'],
    [vehicle, '$SYS/broker/uptime', 'topic_unknown'],
    [edge, 'fleetwire/v1/vehicle/VH-0001/telemetry', 'topic_forbidden'],
    [edge, 'fleetwire/v1/vehicle/+/commands/unlock', 'topic_forbidden'],
  ] as const)('%j publishing to %s → %s', (identity, topic, reason) => {
    expect(reasonOf(authorizePublish(identity, topic))).toBe(reason);
  });

  it('lets an edge node publish commands to any device', () => {
    expect(authorizePublish(edge, 'fleetwire/v1/vehicle/VH-0042/commands/unlock')).toEqual({
      ok: true,
      value: { kind: 'vehicle', deviceId: 'VH-0042', channel: 'commands', command: 'unlock' },
    });
  });
});

describe('authorizeSubscribe', () => {
  it.each([
    'fleetwire/v1/vehicle/VH-0001/commands/#',
    'fleetwire/v1/vehicle/VH-0001/commands/+',
    'fleetwire/v1/vehicle/VH-0001/commands/unlock',
    'fleetwire/v1/vehicle/VH-0001/commands',
  ])('a device may subscribe to its own commands: %s', (filter) => {
    expect(authorizeSubscribe(vehicle, filter)).toEqual({ ok: true, value: filter });
  });

  it.each([
    ['fleetwire/v1/vehicle/VH-0002/commands/#', 'topic_forbidden'],
    ['fleetwire/v1/vehicle/+/commands/#', 'topic_forbidden'],
    ['fleetwire/v1/vehicle/VH-0001/telemetry', 'topic_forbidden'],
    ['fleetwire/v1/vehicle/VH-00011/commands/#', 'topic_forbidden'],
    ['fleetwire/#', 'topic_forbidden'],
    ['#', 'topic_forbidden'],
    ['+/v1/vehicle/VH-0001/commands/#', 'topic_forbidden'],
    ['other/topic', 'topic_unknown'],
    ['fleetwire/v1/vehicle/VH-0001/commands/#/x', 'topic_unknown'],
    ['fleetwire/v1/vehicle/VH-0001/commands/un#lock', 'topic_unknown'],
    ['', 'topic_unknown'],
  ] as const)('a device subscribing to %s → %s', (filter, reason) => {
    expect(reasonOf(authorizeSubscribe(vehicle, filter))).toBe(reason);
  });

  it('an edge node may subscribe to fleetwire filters only', () => {
    expect(reasonOf(authorizeSubscribe(edge, 'fleetwire/v1/+/+/telemetry'))).toBe('ok');
    expect(reasonOf(authorizeSubscribe(edge, 'fleetwire/#'))).toBe('ok');
    expect(reasonOf(authorizeSubscribe(edge, '#'))).toBe('topic_forbidden');
    expect(reasonOf(authorizeSubscribe(edge, 'home/lights'))).toBe('topic_unknown');
  });
});
