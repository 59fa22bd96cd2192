import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_AFTER_S, uploadStep } from './upload-answer.js';

const error = (code: string, retryable: boolean): unknown => ({ error: { code, reason: 'r', detail: 'd', retryable } });

describe('uploadStep', () => {
  it('takes the verdict of a 200', () => {
    expect(uploadStep({ status: 200, retryAfter: null, body: { verdict: 'review', reasons: [] } })).toEqual({ kind: 'verdict', verdict: 'review' });
  });

  it('tries a 409 again when the edge marks it retryable (the return is still being verified)', () => {
    expect(uploadStep({ status: 409, retryAfter: null, body: error('FW_VISION_RETURN_BUSY', true) })).toEqual({ kind: 'retry', afterS: DEFAULT_RETRY_AFTER_S });
  });

  it('follows the flag, not the status: a retryable 4xx is tried again, a non-retryable 5xx is not', () => {
    expect(uploadStep({ status: 429, retryAfter: '3', body: error('FW_SOME_LIMIT', true) })).toEqual({ kind: 'retry', afterS: 3 });
    expect(uploadStep({ status: 500, retryAfter: null, body: error('FW_SOMETHING', false) })).toEqual({ kind: 'refused', code: 'FW_SOMETHING' });
  });

  it('gives up on a refused photo or token', () => {
    expect(uploadStep({ status: 422, retryAfter: null, body: error('FW_VISION_IMAGE_TRUNCATED', false) })).toEqual({ kind: 'refused', code: 'FW_VISION_IMAGE_TRUNCATED' });
    expect(uploadStep({ status: 401, retryAfter: null, body: error('FW_UPLOAD_TOKEN_INVALID', false) })).toEqual({ kind: 'refused', code: 'FW_UPLOAD_TOKEN_INVALID' });
  });

  it('waits a 503\'s Retry-After, capped at 30 s', () => {
    expect(uploadStep({ status: 503, retryAfter: '5', body: error('FW_VISION_OVERLOADED', true) })).toEqual({ kind: 'retry', afterS: 5 });
    expect(uploadStep({ status: 503, retryAfter: '600', body: error('FW_VISION_OVERLOADED', true) })).toEqual({ kind: 'retry', afterS: 30 });
    expect(uploadStep({ status: 503, retryAfter: 'soon', body: error('FW_VISION_OVERLOADED', true) })).toEqual({ kind: 'retry', afterS: DEFAULT_RETRY_AFTER_S });
  });

  it('tries again without an answer, and falls back to the status when the body is not the error shape', () => {
    expect(uploadStep(undefined)).toEqual({ kind: 'retry', afterS: DEFAULT_RETRY_AFTER_S });
    expect(uploadStep({ status: 502, retryAfter: null, body: undefined })).toEqual({ kind: 'retry', afterS: DEFAULT_RETRY_AFTER_S });
    expect(uploadStep({ status: 404, retryAfter: null, body: { message: 'not found' } })).toEqual({ kind: 'refused', code: undefined });
    expect(uploadStep({ status: 200, retryAfter: null, body: undefined })).toEqual({ kind: 'refused', code: undefined });
  });
});
