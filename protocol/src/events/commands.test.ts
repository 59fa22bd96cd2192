import { describe, expect, it } from 'vitest';
import { classifyPriority, createEventRecord } from '../records.js';
import { DEVICE_EVENT_TYPES, createEvent, validateEvent } from './envelope.js';
import { COMMAND_EVENT_TYPES, COMMAND_RESULT_EVENTS, validateDeviceCommand, validateDownlinkAnswer } from './commands.js';
import { EVENT_TYPES } from './types.js';

const unlock = (data: Record<string, unknown>) => ({
  eventId: 'commands:c1:0',
  type: 'UnlockVehicle',
  schemaVersion: 1,
  occurredAt: '2026-12-07T10:00:00Z',
  source: 'cloud:commands',
  subject: { kind: 'vehicle', id: 'VH-0001' },
  correlationId: 'cmd-1',
  data,
});

describe('command events', () => {
  it('are registered event types, each with its result event known', () => {
    for (const type of COMMAND_EVENT_TYPES) expect(EVENT_TYPES).toContain(type);
    for (const result of Object.values(COMMAND_RESULT_EVENTS)) expect(EVENT_TYPES).toContain(result);
  });

  it('accept an UnlockVehicle with a booking and refuse one without', () => {
    const data = { commandId: 'cmd-1', vehicleId: 'VH-0001', bookingId: 'bk-1', deadline: '2026-12-07T10:00:05Z', requestedBy: 'service:booking' };
    expect(validateEvent(unlock(data)).ok).toBe(true);
    const { bookingId: _bookingId, ...withoutBooking } = data;
    const verdict = validateEvent(unlock(withoutBooking));
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toBe('schema_violation');
  });

  it('let a vehicle acknowledge commands but not issue or fail them', () => {
    expect(DEVICE_EVENT_TYPES.vehicle).toContain('CommandAcknowledged');
    expect(DEVICE_EVENT_TYPES.vehicle).not.toContain('UnlockVehicle');
    expect(DEVICE_EVENT_TYPES.vehicle).not.toContain('CommandFailed');
  });

  it('are critical: they leave the edge first and are never evicted', () => {
    const failed = createEvent('CommandFailed', {
      eventId: 'node-1:r1:0',
      source: 'edge:node-1',
      subject: { kind: 'vehicle', id: 'VH-0001' },
      correlationId: 'cmd-1',
      data: { commandId: 'cmd-1', command: 'UnlockVehicle', vehicleId: 'VH-0001', nodeId: 'node-1', reason: 'offline', detail: 'not connected' },
    });
    expect(classifyPriority(createEventRecord(failed, { source: { kind: 'edge', id: 'node-1' }, receivedAt: 0 }))).toBe('critical');
  });

  it('validate the downlink answer and the device command', () => {
    const command = { seq: 3, commandId: 'cmd-1', type: 'LockVehicle', vehicleId: 'VH-0001', requestedAt: '2026-12-07T10:00:00Z', deadline: '2026-12-07T10:00:05Z' };
    expect(validateDownlinkAnswer({ commands: [command] }).ok).toBe(true);
    expect(validateDownlinkAnswer({ commands: [{ ...command, type: 'OpenBoot' }] }).ok).toBe(false);
    expect(validateDeviceCommand({ commandId: 'cmd-1', type: 'UnlockVehicle', deadline: '2026-12-07T10:00:05Z', bookingId: 'bk-1' }).ok).toBe(true);
    expect(validateDeviceCommand({ commandId: 'cmd 1', type: 'UnlockVehicle', deadline: '2026-12-07T10:00:05Z' }).ok).toBe(false);
  });
});
