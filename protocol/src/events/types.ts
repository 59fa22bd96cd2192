import { Type, type Static } from '@sinclair/typebox';
import { CHARGER_ERROR_CODES } from '../telemetry/charger.js';
import { COMMAND_EVENT_SCHEMAS } from './commands.js';
import {
  Count,
  CurrencyCode,
  EntityId,
  GeoPoint,
  IsoDate,
  IsoTimestamp,
  Label,
  NonNegative,
  Percent,
  Probability,
  ShortText,
  TimeWindow,
  strict,
} from './fields.js';
import { RETURN_SAGA_EVENT_SCHEMAS } from './returns.js';

/** Data schemas, one per event type and version. A new version is added beside the old one. */

export const VehicleBookedV1 = Type.Object(
  {
    bookingId: EntityId,
    vehicleId: EntityId,
    /** Pseudonymous customer reference, never personal data. */
    customerRef: EntityId,
    startsAt: IsoTimestamp,
    endsAt: IsoTimestamp,
    siteId: Type.Optional(EntityId),
    zone: Type.Optional(Label),
  },
  strict,
);

/** A booking withdrawn before its trip began, by the customer, an operator or the booking system. */
export const BookingCancelledV1 = Type.Object(
  {
    bookingId: EntityId,
    vehicleId: EntityId,
    cancelledBy: Type.Union([Type.Literal('customer'), Type.Literal('operator'), Type.Literal('system')]),
    reason: Type.Optional(Label),
  },
  strict,
);

export const VehicleUnlockedV1 = Type.Object(
  {
    bookingId: EntityId,
    vehicleId: EntityId,
    method: Type.Union([Type.Literal('app'), Type.Literal('nfc'), Type.Literal('remote'), Type.Literal('key')]),
    position: GeoPoint,
  },
  strict,
);

export const TripStartedV1 = Type.Object(
  {
    tripId: EntityId,
    bookingId: EntityId,
    vehicleId: EntityId,
    startPosition: GeoPoint,
    odometerKm: NonNegative,
    socPct: Percent,
  },
  strict,
);

export const TripEndedV1 = Type.Object(
  {
    tripId: EntityId,
    bookingId: EntityId,
    vehicleId: EntityId,
    distanceKm: Type.Number({ minimum: 0, maximum: 5000 }),
    durationS: Count,
    energyUsedKwh: Type.Number({ minimum: 0, maximum: 1000 }),
    endPosition: GeoPoint,
    odometerKm: NonNegative,
    socPct: Percent,
  },
  strict,
);

export const DamageFindingV1 = Type.Object(
  {
    label: Label,
    confidence: Probability,
    /** Photo index within the return and a normalised bounding box (0–1). */
    photo: Type.Optional(Count),
    box: Type.Optional(
      Type.Object({ x: Probability, y: Probability, w: Probability, h: Probability }, strict),
    ),
  },
  strict,
);

/** Where the damage model saw damage on one photo: a probability per cell, row-major from the top left. */
export const DamageLocationV1 = Type.Object(
  {
    photo: Count,
    rows: Type.Integer({ minimum: 1, maximum: 32 }),
    cols: Type.Integer({ minimum: 1, maximum: 32 }),
    cells: Type.Array(Probability, { maxItems: 1024 }),
  },
  strict,
);

/** The decision thresholds a verdict was reached with, by model output (e.g. { damage: 0.45, dent: 0.4 }). */
const ModelThresholds = Type.Record(Label, Probability);

export const ReturnVerifiedV1 = Type.Object(
  {
    returnId: EntityId,
    bookingId: EntityId,
    vehicleId: EntityId,
    tripId: Type.Optional(EntityId),
    verdict: Type.Union([Type.Literal('accepted'), Type.Literal('review'), Type.Literal('rejected')]),
    damage: Type.Object(
      {
        score: Probability,
        findings: Type.Array(DamageFindingV1, { maxItems: 64 }),
        /** The location grid of each photo in which damage was found. */
        locations: Type.Optional(Type.Array(DamageLocationV1, { maxItems: 32 })),
      },
      strict,
    ),
    fraud: Type.Object({ score: Probability, reasons: Type.Array(Label, { maxItems: 32 }) }, strict),
    parkedInGeofence: Type.Boolean(),
    geofenceId: Type.Optional(EntityId),
    photoCount: Count,
    modelVersions: Type.Record(Label, Type.String({ minLength: 1, maxLength: 64 })),
    modelThresholds: Type.Optional(ModelThresholds),
  },
  strict,
);

export const PaymentProcessedV1 = Type.Object(
  {
    paymentId: EntityId,
    bookingId: EntityId,
    /** Amount in the currency's minor unit (cents). */
    amountMinor: Type.Integer({ minimum: 0 }),
    currency: CurrencyCode,
    status: Type.Union([Type.Literal('captured'), Type.Literal('refunded'), Type.Literal('failed')]),
    failureReason: Type.Optional(Label),
  },
  strict,
);

export const MaintenanceRequiredV1 = Type.Object(
  {
    component: Label,
    reason: ShortText,
    confidence: Probability,
    predictedFailureWithinDays: Type.Number({ minimum: 0, maximum: 3650 }),
    severity: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
    /** The features that drove the prediction, e.g. { tyreLossKpaPerDay: 4.1 }. */
    evidence: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_]{1,64}$' }), Type.Number())),
    dtcs: Type.Optional(Type.Array(Type.String({ pattern: '^[PCBU][0-9A-F]{4}$' }), { maxItems: 64 })),
  },
  strict,
);

export const BatteryLowV1 = Type.Object(
  {
    vehicleId: EntityId,
    socPct: Percent,
    thresholdPct: Percent,
    estimatedRangeKm: Type.Optional(NonNegative),
    position: Type.Optional(GeoPoint),
  },
  strict,
);

export const DemandSpikeV1 = Type.Object(
  {
    siteId: Type.Optional(EntityId),
    zone: Type.Optional(Label),
    window: TimeWindow,
    bookings: Count,
    /** Expected bookings for the same window (e.g. same hour over past weeks). */
    baseline: NonNegative,
    ratio: NonNegative,
  },
  strict,
);

export const FraudDetectedV1 = Type.Object(
  {
    vehicleId: Type.Optional(EntityId),
    bookingId: Type.Optional(EntityId),
    returnId: Type.Optional(EntityId),
    tripId: Type.Optional(EntityId),
    score: Probability,
    /** Per-signal scores, e.g. { screenRecapture: 0.91, exifMismatch: 1 }. */
    scores: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_]{1,64}$' }), Probability),
    reasons: Type.Array(Label, { minItems: 1, maxItems: 32 }),
    modelVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    modelThresholds: Type.Optional(ModelThresholds),
  },
  strict,
);

export const ChargingSessionStartedV1 = Type.Object(
  {
    sessionId: EntityId,
    chargerId: EntityId,
    connectorId: Type.Integer({ minimum: 1, maximum: 16 }),
    vehicleId: Type.Optional(EntityId),
    /** Pseudonymous OCPP idTag. */
    idTag: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
    meterStartWh: NonNegative,
  },
  strict,
);

/** OCPP 1.6 StopTransaction reasons. */
export const STOP_REASONS = [
  'EmergencyStop',
  'EVDisconnected',
  'HardReset',
  'Local',
  'Other',
  'PowerLoss',
  'Reboot',
  'Remote',
  'SoftReset',
  'UnlockCommand',
  'DeAuthorized',
] as const;

export const ChargingSessionStoppedV1 = Type.Object(
  {
    sessionId: EntityId,
    chargerId: EntityId,
    connectorId: Type.Integer({ minimum: 1, maximum: 16 }),
    vehicleId: Type.Optional(EntityId),
    meterStopWh: NonNegative,
    energyWh: NonNegative,
    durationS: Count,
    reason: Type.Union(STOP_REASONS.map((reason) => Type.Literal(reason))),
  },
  strict,
);

export const ChargerFaultedV1 = Type.Object(
  {
    chargerId: EntityId,
    connectorId: Type.Integer({ minimum: 0, maximum: 16 }),
    errorCode: Type.Union(
      CHARGER_ERROR_CODES.filter((code) => code !== 'NoError').map((code) => Type.Literal(code)),
    ),
    vendorErrorCode: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    info: Type.Optional(Type.String({ maxLength: 256 })),
  },
  strict,
);

export const DailyUsageReportV1 = Type.Object(
  {
    date: IsoDate,
    siteId: Type.Optional(EntityId),
    bookings: Count,
    trips: Count,
    activeVehicles: Count,
    distanceKm: NonNegative,
    energyUsedKwh: NonNegative,
    chargingEnergyKwh: NonNegative,
    avgTripDurationS: NonNegative,
    utilisationPct: Percent,
    revenueMinor: Type.Integer({ minimum: 0 }),
    currency: CurrencyCode,
  },
  strict,
);

export const FleetStatusSnapshotV1 = Type.Object(
  {
    siteId: Type.Optional(EntityId),
    vehicles: Type.Object(
      {
        total: Count,
        available: Count,
        booked: Count,
        inTrip: Count,
        charging: Count,
        maintenance: Count,
        offline: Count,
      },
      strict,
    ),
    chargers: Type.Object({ total: Count, available: Count, charging: Count, faulted: Count, offline: Count }, strict),
    /** Null when no vehicle reported a state of charge. */
    avgSocPct: Type.Union([Percent, Type.Null()]),
    lowBatteryCount: Count,
  },
  strict,
);

/** Every event type, each with its data schema per version. */
export const EVENT_DATA_SCHEMAS = {
  VehicleBooked: { 1: VehicleBookedV1 },
  BookingCancelled: { 1: BookingCancelledV1 },
  VehicleUnlocked: { 1: VehicleUnlockedV1 },
  TripStarted: { 1: TripStartedV1 },
  TripEnded: { 1: TripEndedV1 },
  ReturnVerified: { 1: ReturnVerifiedV1 },
  PaymentProcessed: { 1: PaymentProcessedV1 },
  MaintenanceRequired: { 1: MaintenanceRequiredV1 },
  BatteryLow: { 1: BatteryLowV1 },
  DemandSpike: { 1: DemandSpikeV1 },
  FraudDetected: { 1: FraudDetectedV1 },
  ChargingSessionStarted: { 1: ChargingSessionStartedV1 },
  ChargingSessionStopped: { 1: ChargingSessionStoppedV1 },
  ChargerFaulted: { 1: ChargerFaultedV1 },
  DailyUsageReport: { 1: DailyUsageReportV1 },
  FleetStatusSnapshot: { 1: FleetStatusSnapshotV1 },
  ...RETURN_SAGA_EVENT_SCHEMAS,
  ...COMMAND_EVENT_SCHEMAS,
} as const;

export type EventType = keyof typeof EVENT_DATA_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_DATA_SCHEMAS) as EventType[];

/** The version producers write today. */
export const CURRENT_EVENT_VERSION = 1;

/** Data of each event type at its current version. */
export type EventData = { [K in EventType]: Static<(typeof EVENT_DATA_SCHEMAS)[K][1]> };

const eventTypeSet: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && eventTypeSet.has(value);
}
