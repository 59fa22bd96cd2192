/**
 * The simulators' error codes, in one const list (the type is derived from it), and their error
 * class on the shared base (`CodedError`: `code`, `cause`, `canRetry`).
 */
import { CodedError } from '@fleetwire/protocol';

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

export class SimulatorError extends CodedError<SimulatorErrorCode> {}
