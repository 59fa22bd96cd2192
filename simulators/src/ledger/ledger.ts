/**
 * The publish ledger: every message id the simulator published, whether the broker PUBACKed
 * it, and what the edge should have made of it (deliberately bad messages carry their expected
 * reason code). End-to-end tests read it to check that every acknowledged id arrived downstream
 * and every bad one sits in quarantine with the right reason. Exported as JSON lines.
 */
import { writeFile } from 'node:fs/promises';
import type { EventType, RecordKind } from '@fleetwire/protocol';
import type { DeviceKind } from '../world/emission.js';
import type { Expectation, FaultKind, OutgoingMessage } from '../world/outgoing.js';

export type LedgerStatus = 'queued' | 'in_flight' | 'acked' | 'abandoned';

export interface LedgerEntry {
  id: string;
  deviceKind: DeviceKind;
  deviceId: string;
  /** The topic actually published to (another device's, for a topic impersonation). */
  topic: string;
  recordKind: RecordKind;
  eventType?: EventType;
  deviceTime: number;
  simTime: number;
  faults: FaultKind[];
  expect: Expectation;
  /** Copies intended: 2 for a deliberate duplicate. */
  copies: number;
  status: LedgerStatus;
  /** PUBLISH packets sent for this id, resends after a lost connection included. */
  attempts: number;
  /** PUBACKs received for this id. */
  acks: number;
  /** Wall-clock times, ms since the Unix epoch. */
  queuedAt: number;
  firstSentAt?: number;
  ackedAt?: number;
  /** Why an unacknowledged message was given up. */
  abandonReason?: string;
  /** The exact bytes, kept for deliberately bad messages (their id may not be readable from them). */
  bytesBase64?: string;
}

export interface LedgerSummary {
  total: number;
  acked: number;
  pending: number;
  abandoned: number;
  /** Ids deliberately sent bad, by expected reason code. */
  expectedQuarantine: Record<string, number>;
  byFault: Record<string, number>;
}

export interface PublishLedger {
  record(message: OutgoingMessage, at: number): void;
  sent(id: string, at: number): void;
  acked(id: string, at: number): void;
  abandoned(id: string, reason: string): void;
  get(id: string): LedgerEntry | undefined;
  entries(): LedgerEntry[];
  summary(): LedgerSummary;
  toJsonLines(): string;
  writeJsonLines(path: string): Promise<void>;
}

export function createPublishLedger(): PublishLedger {
  const entries = new Map<string, LedgerEntry>();
  const update = (id: string, change: (entry: LedgerEntry) => void): void => {
    const entry = entries.get(id);
    if (entry) change(entry);
  };
  const ledger: PublishLedger = {
    record(message, at) {
      if (entries.has(message.id)) throw new RangeError(`message id ${message.id} recorded twice`);
      entries.set(message.id, {
        id: message.id,
        deviceKind: message.device.kind,
        deviceId: message.device.id,
        topic: message.topic,
        recordKind: message.recordKind,
        ...(message.eventType === undefined ? {} : { eventType: message.eventType }),
        deviceTime: message.deviceTime,
        simTime: message.simTime,
        faults: message.faults,
        expect: message.expect,
        copies: message.copies,
        status: 'queued',
        attempts: 0,
        acks: 0,
        queuedAt: at,
        ...(deliberatelyBad(message) ? { bytesBase64: message.bytes.toString('base64') } : {}),
      });
    },
    sent: (id, at) =>
      update(id, (e) => {
        e.attempts += 1;
        e.firstSentAt ??= at;
        if (e.status === 'queued') e.status = 'in_flight';
      }),
    acked: (id, at) =>
      update(id, (e) => {
        e.acks += 1;
        e.ackedAt ??= at;
        e.status = 'acked';
        delete e.abandonReason;
      }),
    abandoned: (id, reason) =>
      update(id, (e) => {
        if (e.status === 'acked') return;
        e.status = 'abandoned';
        e.abandonReason = reason;
      }),
    get: (id) => entries.get(id),
    entries: () => [...entries.values()],
    summary() {
      const summary: LedgerSummary = { total: 0, acked: 0, pending: 0, abandoned: 0, expectedQuarantine: {}, byFault: {} };
      for (const e of entries.values()) {
        summary.total += 1;
        if (e.status === 'acked') summary.acked += 1;
        else if (e.status === 'abandoned') summary.abandoned += 1;
        else summary.pending += 1;
        if (e.expect.reason) summary.expectedQuarantine[e.expect.reason] = (summary.expectedQuarantine[e.expect.reason] ?? 0) + 1;
        for (const f of e.faults) summary.byFault[f] = (summary.byFault[f] ?? 0) + 1;
      }
      return summary;
    },
    toJsonLines: () => [...entries.values()].map((e) => JSON.stringify(e)).join('\n') + (entries.size > 0 ? '\n' : ''),
    writeJsonLines: (path) => writeFile(path, ledger.toJsonLines(), 'utf8'),
  };
  return ledger;
}

function deliberatelyBad(message: OutgoingMessage): boolean {
  return message.expect.outcome === 'quarantined' || message.faults.includes('impersonate');
}
