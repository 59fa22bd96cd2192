import { describe, expect, it } from 'vitest';
import { badFrameReason } from './refusals.js';

describe('badFrameReason', () => {
  it('tells frames that are not JSON from JSON that is not an OCPP-J message', () => {
    expect(badFrameReason(Buffer.from('[2,"1","Heartbeat",{}'))).toBe('malformed_json');
    expect(badFrameReason('')).toBe('malformed_json');
    expect(badFrameReason('{"not":"an array"}')).toBe('schema_violation');
    expect(badFrameReason('[2,1,"Heartbeat",{}]')).toBe('schema_violation');
  });
});
