import { Type } from '@sinclair/typebox';
import { EpochSchema, SeqSchema } from '../ids.js';

/** Fields shared by every telemetry payload: schema version, device time and optional identity. */
export const telemetryHeaderFields = {
  /** Schema version of the payload. */
  v: Type.Literal(1),
  /** Device time, ms since the Unix epoch. */
  ts: Type.Integer({ minimum: 0 }),
  epoch: Type.Optional(EpochSchema),
  seq: Type.Optional(SeqSchema),
  /** Compared with the authenticated id; never trusted. */
  deviceId: Type.Optional(Type.String({ maxLength: 256 })),
};

export const TELEMETRY_VERSIONS: readonly number[] = [1];

export const GeoPointSchema = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
  },
  { additionalProperties: false },
);
