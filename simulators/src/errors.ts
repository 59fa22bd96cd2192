/**
 * The simulators' error model: one base class carrying `code`, `cause` and `canRetry`, the codes
 * in one const list (the type is derived from it). Retry logic asks one question:
 * `isRetryable(error)`.
 */

export const SIMULATOR_ERROR_CODES = [
  // options and command line
  'FW_SIM_OPTIONS_INVALID',
  // city model
  'FW_SIM_ROUTE_UNREACHABLE',
  // mqtt devices and the load generator
  'FW_SIM_CONNECT_FAILED',
  'FW_SIM_PUBLISH_FAILED',
  'FW_SIM_STOPPED',
] as const;

export type SimulatorErrorCode = (typeof SIMULATOR_ERROR_CODES)[number];

export interface SimulatorErrorOptions {
  cause?: unknown;
  canRetry?: boolean;
}

export class SimulatorError extends Error {
  readonly code: SimulatorErrorCode;
  readonly canRetry: boolean;

  constructor(code: SimulatorErrorCode, message: string, options: SimulatorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SimulatorError';
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof SimulatorError && error.canRetry;
}
