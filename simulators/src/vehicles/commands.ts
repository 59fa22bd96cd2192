/**
 * How a simulated vehicle answers a command from its `commands/` topic — a plain function.
 * It obeys unless the command's deadline has passed on its own clock (`expired`) or it is
 * driving (`in_motion`: nobody unlocks or locks a moving car); it answers a command it already
 * obeyed again with the same result, since the edge may resend one after a reconnect.
 */
import type { DeviceCommand } from '@fleetwire/protocol';
import type { VehicleState } from './vehicle.js';

export interface CommandAnswer {
  vehicle: VehicleState;
  result: 'executed' | 'refused';
  reason?: 'expired' | 'in_motion';
}

export function obeyCommand(vehicle: VehicleState, command: DeviceCommand, now: number): CommandAnswer {
  if (Date.parse(command.deadline) <= now) return { vehicle, result: 'refused', reason: 'expired' };
  if (vehicle.phase.name === 'driving') return { vehicle, result: 'refused', reason: 'in_motion' };
  return { vehicle: { ...vehicle, locked: command.type === 'LockVehicle' }, result: 'executed' };
}
