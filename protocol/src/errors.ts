/**
 * Errors thrown by protocol builders (formatters, createEvent, encodeBatch) when a caller hands
 * them invalid input — a programming error. Validators never throw; they return a Verdict.
 */
import { CodedError } from './coded-error.js';

export const PROTOCOL_ERROR_CODES = ['FW_PROTOCOL_INVALID_ARGUMENT'] as const;

export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/** Invalid arguments stay invalid: retrying the same call cannot succeed, so canRetry is false. */
export class ProtocolError extends CodedError<ProtocolErrorCode> {
  constructor(code: ProtocolErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, canRetry: false });
  }
}

export function invalidArgument(message: string): ProtocolError {
  return new ProtocolError('FW_PROTOCOL_INVALID_ARGUMENT', message);
}
