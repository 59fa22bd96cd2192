/**
 * JSON schemas of the fleet API. Fastify serialises the answers with them (a field missing here
 * would be dropped silently, so the views are typed from these schemas) and @fastify/swagger
 * puts them into `/openapi.json`. Times are ms since the Unix epoch, as in the records.
 */
import { CHARGER_STATUSES, type ChargerStatus } from '@fleetwire/protocol';
import { Type, type Static, type TInteger, type TSchema } from '@sinclair/typebox';
import { ErrorBodySchema } from '../../ingest/schemas.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Ms = (description: string) => Type.Number({ description: `${description}, ms since the Unix epoch` });
const GeoPoint = Type.Object({ lat: Type.Number(), lon: Type.Number() });

export const VEHICLE_STATUSES = ['driving', 'parked', 'charging', 'offline'] as const;
export type VehicleStatus = (typeof VEHICLE_STATUSES)[number];

const LastSeen = Nullable(
  Type.Object(
    { deviceTime: Ms('newest trusted device time'), receivedAt: Ms('newest edge receive time; offline is judged by it') },
    { description: 'records the device sent itself; null when it never did' },
  ),
);

export const VehicleViewSchema = Type.Object({
  id: Type.String(),
  status: Type.Union(VEHICLE_STATUSES.map((s) => Type.Literal(s)), {
    description: 'offline (silent for fleet.offlineAfterMs), else charging (open session), driving (open trip or moving), parked',
  }),
  position: Nullable(GeoPoint),
  speedKph: Nullable(Type.Number()),
  socPct: Nullable(Type.Number()),
  batteryTempC: Nullable(Type.Number()),
  odometerKm: Nullable(Type.Number()),
  locked: Nullable(Type.Boolean()),
  ignition: Nullable(Type.Boolean()),
  dtcs: Type.Array(Type.String()),
  lowBattery: Type.Boolean({ description: 'SoC below fleet.lowBatteryPct, or a BatteryLow alert is open' }),
  lastSeen: LastSeen,
  trip: Nullable(Type.Object({ tripId: Type.String(), bookingId: Type.String(), startedAt: Ms('TripStarted'), startPosition: GeoPoint })),
  lastTrip: Nullable(
    Type.Object({
      tripId: Type.String(), endedAt: Ms('TripEnded'), distanceKm: Type.Number(), durationS: Type.Number(), energyUsedKwh: Type.Number(),
    }),
  ),
  charging: Nullable(Type.Object({ chargerId: Type.String(), connectorId: Type.Integer(), sessionId: Type.String(), since: Ms('session start') })),
  lastReturn: Nullable(
    Type.Object({
      at: Ms('ReturnVerified'), returnId: Type.String(), bookingId: Type.String(),
      verdict: Type.Union([Type.Literal('accepted'), Type.Literal('review'), Type.Literal('rejected')]),
      damageScore: Type.Number(), fraudScore: Type.Number(), parkedInGeofence: Type.Boolean(),
    }),
  ),
  lastFraud: Nullable(
    Type.Object({ at: Ms('FraudDetected'), returnId: Nullable(Type.String()), score: Type.Number(), reasons: Type.Array(Type.String()) }),
  ),
  alerts: Type.Array(
    Type.Object({
      type: Type.Union([Type.Literal('BatteryLow'), Type.Literal('MaintenanceRequired')]),
      at: Ms('the alert'),
      detail: Type.String(),
    }),
    { description: 'open alerts, newest first' },
  ),
});
export type VehicleView = Static<typeof VehicleViewSchema>;

export const ChargerViewSchema = Type.Object({
  id: Type.String(),
  siteId: Nullable(Type.String()),
  offline: Type.Boolean({ description: 'silent for fleet.offlineAfterMs (connector states are then the last known)' }),
  lastSeen: LastSeen,
  connectors: Type.Array(
    Type.Object({
      connectorId: Type.Integer(),
      status: Type.Union(CHARGER_STATUSES.map((s) => Type.Literal(s)), { description: 'OCPP 1.6 ChargePointStatus' }),
      powerKw: Nullable(Type.Number()),
      energyWh: Nullable(Type.Number({ description: 'meter register' })),
      sessionId: Nullable(Type.String()),
      vehicleId: Nullable(Type.String({ description: 'named by the session events' })),
      errorCode: Nullable(Type.String({ description: 'OCPP 1.6 ChargePointErrorCode' })),
      updatedAt: Ms('the newest record about the connector'),
    }),
  ),
});
export type ChargerView = Static<typeof ChargerViewSchema>;

const statusCounts = Object.fromEntries(CHARGER_STATUSES.map((s) => [s, Type.Integer()])) as Record<ChargerStatus, TInteger>;

export const FleetSummarySchema = Type.Object({
  vehicles: Type.Object({
    total: Type.Integer(), driving: Type.Integer(), parked: Type.Integer(), charging: Type.Integer(), offline: Type.Integer(),
    lowBattery: Type.Integer(),
  }),
  chargers: Type.Object({
    total: Type.Integer(),
    offline: Type.Integer(),
    connectors: Type.Object(statusCounts, { description: 'connectors of online chargers, by OCPP status' }),
  }),
  alerts: Type.Object({ batteryLow: Type.Integer(), maintenance: Type.Integer(), total: Type.Integer() }),
});
export type FleetSummary = Static<typeof FleetSummarySchema>;

export const RecentEventViewSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  occurredAt: Ms('trusted device time'),
  receivedAt: Ms('edge receive time'),
  source: Type.String({ description: 'event source, e.g. vehicle:VH-0001, edge:node-1' }),
  subject: Type.Object({ kind: Type.String(), id: Type.String() }),
  vehicleId: Nullable(Type.String()),
  chargerId: Nullable(Type.String()),
  data: Type.Unknown({ description: 'the event data as the protocol defines it for its type' }),
});
export type RecentEventView = Static<typeof RecentEventViewSchema>;

export const MaintenanceItemSchema = Type.Object({
  vehicleId: Type.String(),
  component: Type.String({ description: 'e.g. tyre_rl, aux_battery' }),
  reason: Type.String(),
  severity: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  raisedAt: Ms('trusted time of the finding'),
  dueAt: Ms('predicted failure: raisedAt plus the predicted days'),
});
export type MaintenanceItem = Static<typeof MaintenanceItemSchema>;

const error = (description: string) => ({ ...ErrorBodySchema, description });
const readSecurity = [{ fleetReadToken: [] as string[] }];
const unauthorized = error('fleet.readToken is set and the request has no or a wrong bearer token');

export const summaryRoute = {
  summary: 'Fleet counts: vehicles by state, low battery, connectors by status, open alerts',
  tags: ['fleet'], security: readSecurity,
  response: { 200: FleetSummarySchema, 401: unauthorized },
};

export const vehiclesRoute = {
  summary: 'Every known vehicle, by id', tags: ['fleet'], security: readSecurity,
  response: { 200: Type.Object({ vehicles: Type.Array(VehicleViewSchema) }), 401: unauthorized },
};

export const vehicleRoute = {
  summary: 'One vehicle', tags: ['fleet'], security: readSecurity,
  params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
  response: { 200: VehicleViewSchema, 401: unauthorized, 404: error('no record about this vehicle was seen') },
};

export const chargersRoute = {
  summary: 'Every known charger, by id', tags: ['fleet'], security: readSecurity,
  response: { 200: Type.Object({ chargers: Type.Array(ChargerViewSchema) }), 401: unauthorized },
};

export const maintenanceRoute = {
  summary: 'Open maintenance findings of the whole fleet, soonest predicted failure first', tags: ['fleet'], security: readSecurity,
  response: { 200: Type.Object({ maintenance: Type.Array(MaintenanceItemSchema) }), 401: unauthorized },
};

export const eventsRoute = (maxRecentEvents: number) => ({
  summary: 'The most recent events, newest first', tags: ['fleet'], security: readSecurity,
  querystring: Type.Object({
    limit: Type.Integer({ minimum: 1, maximum: maxRecentEvents, default: Math.min(50, maxRecentEvents) }),
  }),
  response: { 200: Type.Object({ events: Type.Array(RecentEventViewSchema) }), 401: unauthorized },
});
