import { Type } from '@sinclair/typebox';
import { invalidArgument } from './errors.js';

/**
 * Identity rules. A DeviceId or NodeId is 1–64 chars of [A-Za-z0-9_-]; an epoch (a device's
 * boot id) is 1–32 alphanumerics; a MessageId is "{deviceId}:{epoch}:{seq}". None of the parts
 * can contain ':', so a MessageId splits unambiguously.
 */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const NODE_ID_PATTERN = DEVICE_ID_PATTERN;
export const EPOCH_PATTERN = '^[A-Za-z0-9]{1,32}$';
export const MESSAGE_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}:[A-Za-z0-9]{1,32}:(0|[1-9][0-9]{0,15})$';

export const DeviceIdSchema = Type.String({ pattern: DEVICE_ID_PATTERN });
export const NodeIdSchema = Type.String({ pattern: NODE_ID_PATTERN });
export const EpochSchema = Type.String({ pattern: EPOCH_PATTERN });
export const SeqSchema = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const MessageIdSchema = Type.String({ pattern: MESSAGE_ID_PATTERN });

export type DeviceKind = 'vehicle' | 'charger';
export const DEVICE_KINDS: readonly DeviceKind[] = ['vehicle', 'charger'];

const deviceIdRe = new RegExp(DEVICE_ID_PATTERN);
const epochRe = new RegExp(EPOCH_PATTERN);
const messageIdRe = new RegExp(MESSAGE_ID_PATTERN);

export function isDeviceId(value: unknown): value is string {
  return typeof value === 'string' && deviceIdRe.test(value);
}

export function isNodeId(value: unknown): value is string {
  return isDeviceId(value);
}

export function isEpoch(value: unknown): value is string {
  return typeof value === 'string' && epochRe.test(value);
}

export function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isDeviceKind(value: unknown): value is DeviceKind {
  return value === 'vehicle' || value === 'charger';
}

export interface MessageIdParts {
  deviceId: string;
  epoch: string;
  seq: number;
}

/** Throws ProtocolError on invalid parts: producers must never emit an id parseMessageId refuses. */
export function formatMessageId(parts: MessageIdParts): string {
  if (!isDeviceId(parts.deviceId)) throw invalidArgument(`invalid deviceId: ${JSON.stringify(parts.deviceId)}`);
  if (!isEpoch(parts.epoch)) throw invalidArgument(`invalid epoch: ${JSON.stringify(parts.epoch)}`);
  if (!isSeq(parts.seq)) throw invalidArgument(`invalid seq: ${String(parts.seq)}`);
  return `${parts.deviceId}:${parts.epoch}:${parts.seq}`;
}

/** Returns undefined for anything that is not a well-formed MessageId. */
export function parseMessageId(id: unknown): MessageIdParts | undefined {
  if (typeof id !== 'string' || !messageIdRe.test(id)) return undefined;
  const [deviceId, epoch, seqText] = id.split(':') as [string, string, string];
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq)) return undefined;
  return { deviceId, epoch, seq };
}

export function isMessageId(value: unknown): value is string {
  return parseMessageId(value) !== undefined;
}
