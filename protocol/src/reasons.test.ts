import { describe, expect, it } from 'vitest';
import { REASON_CODES, accept, isReasonCode, reject } from './reasons.js';

describe('reason codes', () => {
  it('lists every code of the protocol contract once', () => {
    expect([...REASON_CODES].sort()).toEqual(
      [
        'malformed_json',
        'schema_violation',
        'impossible_value',
        'odometer_backwards',
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
        'image_unsupported',
        'image_truncated',
        'image_corrupt',
        'image_too_large',
        'tsdb_rejected',
        'event_type_not_allowed',
        'source_mismatch',
        'subject_mismatch',
      ].sort(),
    );
  });

  it('isReasonCode recognises only listed codes', () => {
    expect(isReasonCode('record_corrupt')).toBe(true);
    expect(isReasonCode('Record_Corrupt')).toBe(false);
    expect(isReasonCode(undefined)).toBe(false);
  });

  it('accept and reject build verdicts', () => {
    expect(accept(3)).toEqual({ ok: true, value: 3 });
    expect(reject('topic_unknown', 'x')).toEqual({ ok: false, reason: 'topic_unknown', detail: 'x' });
  });
});
