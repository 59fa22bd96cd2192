import { describe, expect, it } from 'vitest';
import { createFleetModel } from '../world/fleet-model.js';
import { DEFAULT_WORLD_SETTINGS } from '../world/settings.js';
import { createRandom } from '../random/random.js';
import { obeyCommand } from './commands.js';
import { stepVehicle } from './vehicle-step.js';

const T0 = Date.parse('2026-12-07T10:00:00Z');

describe('a simulated vehicle obeys commands', () => {
  const model = createFleetModel({ seed: 5, startTime: T0, vehicles: 1, chargers: 0, settings: DEFAULT_WORLD_SETTINGS, faults: {} });
  const [vehicle] = model.world.vehicles;

  it('unlocks and locks before the deadline, and refuses after it or while driving', () => {
    const unlock = { commandId: 'cmd-1', type: 'UnlockVehicle' as const, deadline: new Date(T0 + 5000).toISOString(), bookingId: 'bk-1' };
    expect(obeyCommand(vehicle!, unlock, T0)).toMatchObject({ result: 'executed', vehicle: { locked: false } });
    expect(obeyCommand({ ...vehicle!, locked: false }, { ...unlock, type: 'LockVehicle' }, T0)).toMatchObject({ result: 'executed', vehicle: { locked: true } });
    expect(obeyCommand(vehicle!, unlock, T0 + 5000)).toMatchObject({ result: 'refused', reason: 'expired', vehicle: { locked: true } });
    const driving = { ...vehicle!, phase: { name: 'driving' } } as unknown as typeof vehicle;
    expect(obeyCommand(driving!, unlock, T0)).toMatchObject({ result: 'refused', reason: 'in_motion' });
  });

  it('answers with a CommandAcknowledged from its own id sequence, correlated to the command', () => {
    const [message, ...more] = model.command(vehicle!.id, { commandId: 'cmd-2', type: 'UnlockVehicle', deadline: new Date(T0 + 5000).toISOString(), bookingId: 'bk-1' }, T0);
    expect(more).toHaveLength(0);
    expect(message).toMatchObject({ channel: 'events', eventType: 'CommandAcknowledged', topic: `fleetwire/v1/vehicle/${vehicle!.id}/events`, payload: { correlationId: 'cmd-2', data: { commandId: 'cmd-2', result: 'executed' } } });
    expect(model.world.vehicles[0]!.locked).toBe(false);
  });

  it('lets its customer in without unlocking again when the booking was unlocked remotely before the customer came', () => {
    const booked = { ...vehicle!, phase: { name: 'booked' as const, bookingId: 'bk-1', tripId: 'tr-1', unlockAt: T0 + 1000 } };
    const ctx = { city: model.world.city, time: T0, ambientC: 15, bookingsPerHour: 0, minBookableSocPct: 20, telemetryIntervalMs: 5000, parkedTelemetryIntervalMs: 60_000, inletWh: 0, chargeEfficiency: 0.9, chargingSiteIds: [] };
    const step = (locked: boolean) => stepVehicle({ ...booked, locked }, 2000, createRandom(1), ctx);
    const unlocks = (locked: boolean) => step(locked).emissions.filter((e) => e.channel === 'events' && e.type === 'VehicleUnlocked');
    expect(unlocks(true)).toHaveLength(1);
    expect(unlocks(false)).toHaveLength(0);
    expect(step(false).state).toMatchObject({ locked: false, phase: { name: 'unlocked', bookingId: 'bk-1' } });
  });
});
