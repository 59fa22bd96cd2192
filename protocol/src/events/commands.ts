import { Type, type Static } from '@sinclair/typebox';
import { compileValidator } from '../validation.js';
import { EntityId, GeoPoint, IsoTimestamp, Label, ShortText, strict } from './fields.js';

/**
 * Commands to vehicles (docs/commands.md). A command travels cloud → edge → device and is
 * answered by exactly one outcome: the event the command was meant to cause (VehicleUnlocked,
 * VehicleLocked) or a CommandFailed. Every event of one command carries the command id as its
 * correlation id, and is keyed by the vehicle on the bus.
 */

export const COMMAND_TYPES = ['UnlockVehicle', 'LockVehicle'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/**
 * Why a command failed. `offline`: the vehicle was not connected, or did not acknowledge before
 * the deadline; `expired`: the deadline passed before the command reached an edge node or the
 * vehicle; `refused`: the vehicle said no; `unroutable`: no edge node has reported the vehicle.
 */
export const COMMAND_FAILURE_REASONS = ['offline', 'expired', 'refused', 'unroutable'] as const;
export type CommandFailureReason = (typeof COMMAND_FAILURE_REASONS)[number];

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));

/** Who asked: `service:{clientId}` of the booking or operator system. */
const RequestedBy = Type.String({ pattern: '^service:[A-Za-z0-9_-]{1,64}$' });

/** The command as the cloud accepted it; produced by the cloud, subject the vehicle. */
export const UnlockVehicleV1 = Type.Object(
  {
    commandId: EntityId,
    vehicleId: EntityId,
    bookingId: EntityId,
    /** The edge node the command was routed to; absent when none has reported the vehicle. */
    nodeId: Type.Optional(EntityId),
    deadline: IsoTimestamp,
    requestedBy: RequestedBy,
  },
  strict,
);

export const LockVehicleV1 = Type.Object(
  {
    commandId: EntityId,
    vehicleId: EntityId,
    bookingId: Type.Optional(EntityId),
    nodeId: Type.Optional(EntityId),
    deadline: IsoTimestamp,
    requestedBy: RequestedBy,
  },
  strict,
);

/** A vehicle's answer to a command it received on its `commands/` topic; published on its `events` topic. */
export const CommandAcknowledgedV1 = Type.Object(
  {
    commandId: EntityId,
    result: literals(['executed', 'refused'] as const),
    /** Why the vehicle refused, e.g. `in_motion`, `expired`. */
    reason: Type.Optional(Label),
    /** Where the vehicle was when it answered. */
    position: GeoPoint,
  },
  strict,
);

export const CommandFailedV1 = Type.Object(
  {
    commandId: EntityId,
    command: literals(COMMAND_TYPES),
    vehicleId: EntityId,
    nodeId: Type.Optional(EntityId),
    reason: literals(COMMAND_FAILURE_REASONS),
    detail: Type.Optional(ShortText),
  },
  strict,
);

export const VehicleLockedV1 = Type.Object(
  {
    vehicleId: EntityId,
    bookingId: Type.Optional(EntityId),
    method: literals(['app', 'remote', 'key'] as const),
    position: GeoPoint,
  },
  strict,
);

/** Registered in EVENT_DATA_SCHEMAS (types.ts). */
export const COMMAND_EVENT_SCHEMAS = {
  UnlockVehicle: { 1: UnlockVehicleV1 },
  LockVehicle: { 1: LockVehicleV1 },
  CommandAcknowledged: { 1: CommandAcknowledgedV1 },
  CommandFailed: { 1: CommandFailedV1 },
  VehicleLocked: { 1: VehicleLockedV1 },
} as const;

/** Every event of a command's life: all critical (they leave an edge first and are never evicted). */
export const COMMAND_EVENT_TYPES = Object.keys(COMMAND_EVENT_SCHEMAS) as Array<keyof typeof COMMAND_EVENT_SCHEMAS>;

/** The event a successful command causes. */
export const COMMAND_RESULT_EVENTS = { UnlockVehicle: 'VehicleUnlocked', LockVehicle: 'VehicleLocked' } as const satisfies Record<CommandType, string>;

/** The level below `commands/` a command is published on: `fleetwire/v1/vehicle/{id}/commands/unlock`. */
export const COMMAND_TOPIC_LEVELS = { UnlockVehicle: 'unlock', LockVehicle: 'lock' } as const satisfies Record<CommandType, string>;

export function isCommandType(value: unknown): value is CommandType {
  return typeof value === 'string' && (COMMAND_TYPES as readonly string[]).includes(value);
}

/**
 * One command as the cloud hands it to an edge node (`GET /v1/downlink/commands`) and as the
 * edge stores it. `seq` is the cloud's order of commands for the node: the edge asks for those
 * after the last one it stored.
 */
export const DownlinkCommandSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    commandId: EntityId,
    type: literals(COMMAND_TYPES),
    vehicleId: EntityId,
    bookingId: Type.Optional(EntityId),
    requestedAt: IsoTimestamp,
    deadline: IsoTimestamp,
  },
  strict,
);
export type DownlinkCommand = Static<typeof DownlinkCommandSchema>;

export const DownlinkAnswerSchema = Type.Object({ commands: Type.Array(DownlinkCommandSchema, { maxItems: 1000 }) }, strict);
export type DownlinkAnswer = Static<typeof DownlinkAnswerSchema>;
export const validateDownlinkAnswer = compileValidator(DownlinkAnswerSchema);

/** The node-facing long poll: `?after={seq}&waitMs={ms}`. */
export const DOWNLINK_COMMANDS_PATH = '/v1/downlink/commands';

/** What a vehicle receives on `commands/{level}` (JSON, QoS 1). */
export const DeviceCommandSchema = Type.Object(
  {
    commandId: EntityId,
    type: literals(COMMAND_TYPES),
    deadline: IsoTimestamp,
    bookingId: Type.Optional(EntityId),
  },
  strict,
);
export type DeviceCommand = Static<typeof DeviceCommandSchema>;
export const validateDeviceCommand = compileValidator(DeviceCommandSchema);
