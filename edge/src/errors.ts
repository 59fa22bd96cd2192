/**
 * The edge agent's error codes, in one const list (the type is derived from it), and its error
 * class on the shared base (`CodedError`: `code`, `cause`, `canRetry`).
 */
import { CodedError } from '@fleetwire/protocol';

export const EDGE_ERROR_CODES = [
  // buffer
  'FW_BUFFER_OPTIONS_INVALID',
  'FW_BUFFER_RECORD_INVALID',
  'FW_BUFFER_WRITE_FAILED',
  'FW_BUFFER_UNUSABLE',
  'FW_BUFFER_FULL',
  'FW_BUFFER_CLOSED',
  // uplink
  'FW_UPLINK_OPTIONS_INVALID',
  // config and device registry
  'FW_CONFIG_INVALID',
  'FW_CONFIG_UNREADABLE',
  'FW_CREDENTIALS_INVALID',
  // intake (embedded broker and bridge)
  'FW_INTAKE_LISTEN_FAILED',
  'FW_INTAKE_AUTH_REFUSED',
  'FW_INTAKE_PUBLISH_REFUSED',
  'FW_INTAKE_COMMIT_FAILED',
  'FW_INTAKE_BRIDGE_FAILED',
  // vision (return photos)
  'FW_VISION_OPTIONS_INVALID',
  'FW_VISION_IMAGE_INVALID',
  'FW_VISION_MODEL_LOAD_FAILED',
  'FW_VISION_MODEL_CONTRACT',
  'FW_VISION_MODEL_REFUSED',
  'FW_VISION_INFERENCE_FAILED',
  'FW_VISION_IMAGE_UNSUPPORTED',
  'FW_VISION_IMAGE_TRUNCATED',
  'FW_VISION_IMAGE_TOO_LARGE',
  'FW_VISION_RETURN_BUSY',
  'FW_VISION_OVERLOADED',
  'FW_VISION_STORE_FAILED',
  // photo upload API (vision/upload)
  'FW_UPLOAD_UNAUTHORIZED',
  'FW_UPLOAD_FORBIDDEN',
  'FW_UPLOAD_INVALID',
  'FW_UPLOAD_NO_PHOTOS',
  'FW_UPLOAD_TOO_MANY_PHOTOS',
  'FW_UPLOAD_PHOTO_TOO_LARGE',
  'FW_UPLOAD_RETURN_UNKNOWN',
  'FW_RETURN_KEYS_INVALID',
] as const;

export type EdgeErrorCode = (typeof EDGE_ERROR_CODES)[number];

export class EdgeError extends CodedError<EdgeErrorCode> {}
