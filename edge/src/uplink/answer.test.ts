import { describe, expect, it } from 'vitest';
import { classifyStatus, parseAcceptedAnswer } from './answer.js';

describe('classifyStatus', () => {
  it('maps every answer of docs/uplink.md to its action', () => {
    const table = Object.fromEntries([200, 202, 400, 413, 422, 401, 403, 404, 408, 409, 429, 500, 502, 503].map((s) => [s, classifyStatus(s)]));
    expect(table).toEqual({
      200: { type: 'accepted' },
      202: { type: 'accepted' },
      400: { type: 'split', reason: 'batch_corrupt' },
      413: { type: 'split', reason: 'batch_too_large' },
      422: { type: 'split', reason: 'batch_corrupt' },
      401: { type: 'retry', failureClass: 'auth' },
      403: { type: 'retry', failureClass: 'auth' },
      404: { type: 'retry', failureClass: 'config' },
      408: { type: 'retry', failureClass: 'server' },
      409: { type: 'retry', failureClass: 'server' },
      429: { type: 'retry', failureClass: 'throttled' },
      500: { type: 'retry', failureClass: 'server' },
      502: { type: 'retry', failureClass: 'server' },
      503: { type: 'retry', failureClass: 'throttled' },
    });
  });
});

describe('parseAcceptedAnswer', () => {
  it('reads accepted, duplicates and rejected records', () => {
    const body = JSON.stringify({ accepted: 3, duplicates: 1, rejected: [{ id: 'VH-1:b:1', reason: 'impossible_value', detail: 'socPct' }] });
    expect(parseAcceptedAnswer(body, 5)).toEqual({
      accepted: 3,
      duplicates: 1,
      rejected: [{ id: 'VH-1:b:1', reason: 'impossible_value', detail: 'socPct' }],
      unreadable: false,
    });
  });
  it('counts every record as accepted when a 2xx body is unreadable', () => {
    expect(parseAcceptedAnswer('<html>', 4)).toEqual({ accepted: 4, duplicates: 0, rejected: [], unreadable: true });
  });
  it('labels an unknown reason as unknown', () => {
    expect(parseAcceptedAnswer(JSON.stringify({ rejected: [{ id: 'x', reason: 'nope' }] }), 2).rejected[0]?.reason).toBe('unknown');
  });
});
