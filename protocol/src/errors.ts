/**
 * Errors thrown by protocol builders (formatters, createEvent, encodeBatch) when a caller hands
 * them invalid input — a programming error. Validators never throw; they return a Verdict.
 */
export const PROTOCOL_ERROR_CODES = ['FW_PROTOCOL_INVALID_ARGUMENT'] as const;

export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

export interface ProtocolErrorOptions {
  cause?: unknown;
}

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  /** Invalid arguments stay invalid: retrying the same call cannot succeed. */
  readonly canRetry = false;

  constructor(code: ProtocolErrorCode, message: string, options: ProtocolErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'ProtocolError';
    this.code = code;
  }
}

export function invalidArgument(message: string): ProtocolError {
  return new ProtocolError('FW_PROTOCOL_INVALID_ARGUMENT', message);
}
