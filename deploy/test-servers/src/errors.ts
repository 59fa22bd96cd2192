/**
 * Errors of the test-servers script. Every failure carries a code from one list, the
 * underlying cause, and whether trying again may help (a port still held by a dying process,
 * a registry that did not answer) — the same shape as the other packages' errors.
 */
import { CodedError } from '@fleetwire/protocol';

export const TEST_SERVER_ERROR_CODES = [
  'FW_TEST_SERVER_SETTINGS_INVALID',
  'FW_TEST_SERVER_INSTALL_FAILED',
  'FW_TEST_SERVER_PORT_IN_USE',
  'FW_TEST_SERVER_START_FAILED',
  'FW_TEST_SERVER_STOP_FAILED',
  'FW_TEST_SERVER_LOCK_TIMEOUT',
] as const;

export type TestServerErrorCode = (typeof TEST_SERVER_ERROR_CODES)[number];

export class TestServerError extends CodedError<TestServerErrorCode> {}
