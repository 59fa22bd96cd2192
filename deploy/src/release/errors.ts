import { CodedError } from '@fleetwire/protocol';

/**
 * Errors of the release build: codes in one list, the cause, and whether trying again may help
 * (the coded-error base every package extends).
 */
export const RELEASE_ERROR_CODES = [
  'FW_RELEASE_OPTIONS_INVALID',
  'FW_RELEASE_VERSION_INVALID',
  'FW_RELEASE_BUILD_FAILED',
] as const;

export type ReleaseErrorCode = (typeof RELEASE_ERROR_CODES)[number];

export class ReleaseError extends CodedError<ReleaseErrorCode> {}
