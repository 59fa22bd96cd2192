import { Type } from '@sinclair/typebox';
import { DeviceIdSchema } from '../ids.js';

/** Building blocks shared by event data schemas. */
export const ISO_TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
export const IsoTimestamp = Type.String({ pattern: ISO_TIMESTAMP_PATTERN });
export const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
/** Business ids (trip, booking, payment, session …): same alphabet as device ids. */
export const EntityId = DeviceIdSchema;
export const Probability = Type.Number({ minimum: 0, maximum: 1 });
export const Percent = Type.Number({ minimum: 0, maximum: 100 });
export const NonNegative = Type.Number({ minimum: 0 });
export const Count = Type.Integer({ minimum: 0 });
export const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$' });
export const ShortText = Type.String({ minLength: 1, maxLength: 256 });
/** snake_case labels: reasons, components, finding classes. */
export const Label = Type.String({ pattern: '^[a-z0-9_]{1,64}$' });
export const GeoPoint = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
  },
  { additionalProperties: false },
);
export const TimeWindow = Type.Object({ start: IsoTimestamp, end: IsoTimestamp }, { additionalProperties: false });

export const strict = { additionalProperties: false } as const;
