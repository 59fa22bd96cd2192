/**
 * Errors of the release build: codes in one list, the cause, and whether trying again may help
 * (the same shape as the other packages' errors).
 */
export const RELEASE_ERROR_CODES = [
  'FW_RELEASE_OPTIONS_INVALID',
  'FW_RELEASE_VERSION_INVALID',
  'FW_RELEASE_BUILD_FAILED',
] as const;

export type ReleaseErrorCode = (typeof RELEASE_ERROR_CODES)[number];

export class ReleaseError extends Error {
  override readonly name = 'ReleaseError';
  readonly code: ReleaseErrorCode;
  readonly canRetry: boolean;

  constructor(code: ReleaseErrorCode, message: string, options: { cause?: unknown; canRetry?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}
