import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent, createEventRecord, type DownlinkCommand, type EventRecord, type FleetRecord } from '@fleetwire/protocol';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commandOutcomeId, createCommandExecutor, type CommandExecutor } from './command-executor.js';
import { openCommandStore, type CommandStore } from './command-store.js';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const NODE = 'node-1';

function command(id: string, seq: number, deadlineMs: number, extra: Partial<DownlinkCommand> = {}): DownlinkCommand {
  return { seq, commandId: id, type: 'UnlockVehicle', vehicleId: 'VH-0001', bookingId: 'bk-1', requestedAt: new Date(T0).toISOString(), deadline: new Date(T0 + deadlineMs).toISOString(), ...extra };
}

function ack(commandId: string, result: 'executed' | 'refused', vehicleId = 'VH-0001'): FleetRecord {
  const event = createEvent('CommandAcknowledged', {
    eventId: `${vehicleId}:b1:${commandId.length}`,
    source: `vehicle:${vehicleId}`,
    subject: { kind: 'vehicle', id: vehicleId },
    occurredAt: T0 + 500,
    data: { commandId, result, ...(result === 'refused' ? { reason: 'in_motion' } : {}), position: { lat: 52.5, lon: 13.4 } },
  });
  return { ...createEventRecord(event, { source: { kind: 'vehicle', id: vehicleId }, receivedAt: T0 + 500 }) };
}

describe('command executor', () => {
  let dir: string;
  let store: CommandStore;
  let appended: EventRecord[];
  let sent: Array<{ deviceId: string; topic: string; payload: unknown }>;
  let connected: Set<string>;
  let executor: CommandExecutor;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    dir = mkdtempSync(join(tmpdir(), 'fw-commands-'));
    store = openCommandStore(join(dir, 'commands.sqlite'));
    appended = [];
    sent = [];
    connected = new Set(['VH-0001']);
    const devices = {
      sendToDevice(deviceId: string, topic: string, payload: Buffer) {
        if (!connected.has(deviceId)) return false;
        sent.push({ deviceId, topic, payload: JSON.parse(payload.toString()) });
        return true;
      },
    };
    const outcomes = new Counter({ name: 'c', help: 'c', labelNames: ['outcome'] as const, registers: [new Registry()] });
    executor = createCommandExecutor({ nodeId: NODE, store, buffer: { append: async (records) => void appended.push(...(records as EventRecord[])) }, devices: () => devices, logger: pino({ level: 'silent' }), outcomes });
  });

  afterEach(() => {
    executor.stop();
    store.close();
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivered: publishes at once, and the acknowledgement becomes VehicleUnlocked under the outcome id', async () => {
    await executor.take(store.receive([command('cmd-1', 1, 5000)], T0));
    expect(sent).toEqual([{ deviceId: 'VH-0001', topic: 'fleetwire/v1/vehicle/VH-0001/commands/unlock', payload: { commandId: 'cmd-1', type: 'UnlockVehicle', deadline: '2026-12-07T10:00:05.000Z', bookingId: 'bk-1' } }]);
    expect(store.get('cmd-1')?.state).toBe('published');
    const record = ack('cmd-1', 'executed');
    const [outcome, ...more] = executor.evaluate(record);
    expect(more).toHaveLength(0);
    expect(outcome).toMatchObject({ id: commandOutcomeId(NODE, 'cmd-1'), source: { kind: 'edge', id: NODE }, priority: 'critical', payload: { type: 'VehicleUnlocked', correlationId: 'cmd-1', data: { vehicleId: 'VH-0001', bookingId: 'bk-1', method: 'remote' } } });
    executor.observe(record);
    expect(store.get('cmd-1')?.state).toBe('succeeded');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(appended).toHaveLength(0);
  });

  it('expired: a command that reaches the edge after its deadline is never sent', async () => {
    vi.setSystemTime(T0 + 6000);
    await executor.take(store.receive([command('cmd-2', 1, 5000)], Date.now()));
    expect(sent).toHaveLength(0);
    expect(appended.map((r) => [r.id, r.payload.type, (r.payload.data as { reason: string }).reason])).toEqual([[commandOutcomeId(NODE, 'cmd-2'), 'CommandFailed', 'expired']]);
    expect(store.get('cmd-2')?.state).toBe('failed');
  });

  it('device offline: not connected until the deadline fails offline; a late acknowledgement raises nothing', async () => {
    connected.clear();
    await executor.take(store.receive([command('cmd-3', 1, 5000)], T0));
    expect(store.get('cmd-3')?.state).toBe('waiting');
    await vi.advanceTimersByTimeAsync(5000);
    expect(appended).toHaveLength(1);
    expect(appended[0]!.payload).toMatchObject({ type: 'CommandFailed', correlationId: 'cmd-3', data: { reason: 'offline', detail: 'the vehicle was not connected before the deadline' } });
    expect(executor.evaluate(ack('cmd-3', 'executed'))).toEqual([]);
  });

  it('device offline: a vehicle that connects before the deadline gets the command then', async () => {
    connected.clear();
    await executor.take(store.receive([command('cmd-4', 1, 5000)], T0));
    connected.add('VH-0001');
    executor.vehicleSubscribed({ role: 'device', kind: 'vehicle', deviceId: 'VH-0001' });
    expect(sent.map((s) => (s.payload as { commandId: string }).commandId)).toEqual(['cmd-4']);
    expect(store.get('cmd-4')?.state).toBe('published');
  });

  it('duplicate: a command handed out again is stored and executed once, and the cursor only moves forward', async () => {
    expect(store.receive([command('cmd-5', 7, 5000)], T0)).toHaveLength(1);
    expect(store.receive([command('cmd-5', 7, 5000)], T0)).toHaveLength(0);
    expect(store.receive([command('cmd-x', 3, 5000)], T0)).toHaveLength(1);
    expect(store.cursor()).toBe(7);
  });

  it('refused, or acknowledged by another vehicle', async () => {
    await executor.take(store.receive([command('cmd-6', 1, 5000)], T0));
    expect(executor.evaluate(ack('cmd-6', 'executed', 'VH-0002'))).toEqual([]);
    const [outcome] = executor.evaluate(ack('cmd-6', 'refused'));
    expect(outcome?.payload).toMatchObject({ type: 'CommandFailed', data: { reason: 'refused', detail: 'the vehicle refused: in_motion' } });
  });

  it('after a restart, a failure decided but not committed is committed under the same id', async () => {
    await executor.take(store.receive([command('cmd-7', 1, 5000)], T0));
    store.setState('cmd-7', 'failing');
    await executor.resume();
    expect(appended.map((r) => r.id)).toEqual([commandOutcomeId(NODE, 'cmd-7')]);
    expect(store.get('cmd-7')?.state).toBe('failed');
  });
});
