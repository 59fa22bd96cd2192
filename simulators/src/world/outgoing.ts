/**
 * A message ready for MQTT: its device-assigned id, topic and bytes, and what the edge is
 * expected to make of it — the publish ledger records this so end-to-end tests can check each
 * id's fate, including the deliberately bad ones.
 */
import type { EventType, ReasonCode, RecordKind } from '@fleetwire/protocol';
import type { DeviceKind } from './emission.js';

export const FAULT_KINDS = ['drops', 'skew', 'dupes', 'reorder', 'malformed', 'impossible', 'impersonate'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Expectation {
  outcome: 'accepted' | 'quarantined';
  /** Why the edge should quarantine it; only with outcome 'quarantined'. */
  reason?: ReasonCode;
  /** The device clock is off by more than any sane tolerance: the record should be flagged. */
  clockSkewed?: true;
  /** The payload names another device: the edge should override it and flag the record. */
  deviceIdOverridden?: true;
}

export interface OutgoingMessage {
  /** MessageId "{deviceId}:{epoch}:{seq}" as the device assigned it. */
  id: string;
  device: { kind: DeviceKind; id: string };
  channel: 'telemetry' | 'events';
  topic: string;
  bytes: Buffer;
  recordKind: RecordKind;
  eventType?: EventType;
  /** Simulated time of the reading or event. */
  simTime: number;
  /** Time stamped into the payload (device clock, skew included). */
  deviceTime: number;
  /** The payload as an object, before any fault touched the bytes. */
  payload: Record<string, unknown>;
  /** Deliberate faults applied to this message. */
  faults: FaultKind[];
  expect: Expectation;
  /** How many times to publish it (2 for a deliberate duplicate). */
  copies: number;
  /** False when a resend after a lost connection would be pointless (the edge refuses it anyway). */
  resend: boolean;
}

export const ACCEPTED: Expectation = { outcome: 'accepted' };
