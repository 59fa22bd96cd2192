/**
 * Reason codes: the one vocabulary every stage uses to say why input was refused. Quarantine
 * rows, dead letters, rejected batch entries and metrics labels all carry one of these.
 */
export const REASON_CODES = [
  'malformed_json',
  'schema_violation',
  'impossible_value',
  'odometer_backwards',
  // physics: a reading impossible in the time since the device's last plausible one
  'odometer_jump',
  'soc_jump',
  'energy_backwards',
  'energy_jump',
  'payload_too_large',
  'topic_unknown',
  'topic_forbidden',
  'unknown_event_type',
  'unsupported_version',
  'batch_corrupt',
  'batch_too_large',
  'record_corrupt',
  'device_not_allowed',
  'device_id_mismatch',
  // return photos (edge vision): refused by magic bytes, structure, decoder or dimensions
  'image_unsupported',
  'image_truncated',
  'image_corrupt',
  'image_too_large',
  // cloud business events API: a client publishing a type it is not allowed, an event whose id
  // or source names another client, a subject that is not the booking or vehicle its data names
  'event_type_not_allowed',
  'source_mismatch',
  'subject_mismatch',
  // cloud time-series sink: the TSDB refused a point of this record (HTTP 400/422)
  'tsdb_rejected',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export interface Accepted<T> {
  ok: true;
  value: T;
}

export interface Rejected {
  ok: false;
  reason: ReasonCode;
  detail: string;
}

/** What every validator returns: validators never throw on bad input. */
export type Verdict<T> = Accepted<T> | Rejected;

export function accept<T>(value: T): Accepted<T> {
  return { ok: true, value };
}

export function reject(reason: ReasonCode, detail: string): Rejected {
  return { ok: false, reason, detail };
}

const reasonCodeSet: ReadonlySet<string> = new Set(REASON_CODES);

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && reasonCodeSet.has(value);
}
