import { describe, expect, it } from 'vitest';
import { classifyAnswer, parseAcceptedAnswer } from './answer.js';

const CORRUPT = JSON.stringify({ error: { code: 'FW_BATCH_CORRUPT', reason: 'batch_corrupt', detail: 'not gzip' } });

describe('classifyAnswer', () => {
  it('maps every answer of docs/uplink.md to its action', () => {
    const table = Object.fromEntries([200, 202, 400, 413, 422, 401, 403, 404, 408, 409, 429, 500, 502, 503].map((s) => [s, classifyAnswer(s, CORRUPT)]));
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

  it('keeps the batch on a 400 or 422 that is not the cloud saying the batch is corrupt', () => {
    const config = { type: 'retry', failureClass: 'config' };
    expect(classifyAnswer(400, '<html>400 The plain HTTP request was sent to HTTPS port</html>')).toEqual(config);
    expect(classifyAnswer(400, JSON.stringify({ error: { code: 'FW_REQUEST_INVALID', reason: 'request_invalid' } }))).toEqual(config);
    expect(classifyAnswer(422, '')).toEqual(config);
    expect(classifyAnswer(413, '<html>413 Request Entity Too Large</html>')).toEqual({ type: 'split', reason: 'batch_too_large' });
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
