/**
 * The end-to-end ledger check as a plain function over data: given what the simulators say they
 * published (the publish ledger), what reached the bus in this run's offset window and what the
 * edge quarantined, account for every message id — delivered once after dedupe, or quarantined
 * / dead-lettered with its expected reason — and list everything that does not add up.
 */
import { BUS_HEADERS, BUS_TOPICS, fromBusValue, parseMessageId, type EventRecord, type FleetRecord } from '@fleetwire/protocol';
import { messageIdOf, type LedgerEntry } from '@fleetwire/simulators';
import type { BusRead, QuarantineRow } from './fleet-readback.js';

export interface Delivered {
  record: FleetRecord;
  topic: string;
  /** Copies of this id on the bus before dedupe. */
  copies: number;
}

export interface DeadLetter {
  id: string | undefined;
  reason: string;
  value: Buffer;
}

export interface FleetAccounting {
  /** This run's records on the data topics, deduplicated by id. */
  delivered: Map<string, Delivered>;
  /** Copies beyond the first, summed over ids. */
  busDuplicates: number;
  deadLetters: DeadLetter[];
  /** Messages in the window that belong to neither this run's devices nor its node. */
  foreign: number;
  /** Events the edge raised itself (ids under the node id). */
  ruleEvents: EventRecord[];
  /** Acknowledged, expected accepted, and not on the bus. */
  missing: string[];
  /** Delivered, but on another topic than its kind's, or with flags that disagree with the ledger. */
  misdelivered: string[];
  /** Expected quarantined, yet on a data topic. */
  leaked: string[];
  /** Acknowledged and expected quarantined, but in neither the quarantine nor the DLQ with its reason. */
  notQuarantined: string[];
  /** Not acknowledged (refused topic) and found nowhere: the edge may never have seen it. */
  quarantineUnseen: string[];
  /** This run's ids on the bus that the ledger does not know (rule events excepted). */
  strangers: string[];
  /** Quarantine rows of an accepted id that did reach the bus: a re-send judged after its original. */
  quarantinedResends: Array<{ id: string; reason: string }>;
  /** Quarantine rows matching no deliberately bad message and no delivered id. */
  unexplainedQuarantine: Array<{ reason: string; detail: string; topic: string | null }>;
}

const TOPIC_OF_KIND: Record<FleetRecord['kind'], string> = {
  vehicle_telemetry: BUS_TOPICS.vehicleTelemetry,
  charger_telemetry: BUS_TOPICS.chargerTelemetry,
  event: BUS_TOPICS.events,
};
const DATA_TOPICS = new Set(Object.values(TOPIC_OF_KIND));

export function accountFleet(facts: { nodeId: string; ledger: readonly LedgerEntry[]; bus: readonly BusRead[]; quarantine: readonly QuarantineRow[] }): FleetAccounting {
  const { nodeId, ledger } = facts;
  const known = new Map(ledger.map((e) => [e.id, e]));
  // Ids of this run: the simulated devices under the epochs they used, or the node's own.
  const runEpochs = new Set(ledger.map((e) => epochKey(e.id)));
  const ofThisRun = (id: string): boolean => runEpochs.has(epochKey(id)) || parseMessageId(id)?.deviceId === nodeId;

  const delivered = new Map<string, Delivered>();
  const deadLetters: DeadLetter[] = [];
  const misdelivered: string[] = [];
  let foreign = 0;
  for (const message of facts.bus) {
    const id = message.headers[BUS_HEADERS.id];
    if (message.topic === BUS_TOPICS.deadLetters) {
      if (message.headers[BUS_HEADERS.source] === nodeId) deadLetters.push({ id, reason: message.headers[BUS_HEADERS.reason] ?? '', value: message.value });
      else foreign += 1;
      continue;
    }
    if (!DATA_TOPICS.has(message.topic) || id === undefined || !ofThisRun(id)) {
      foreign += 1;
      continue;
    }
    const seen = delivered.get(id);
    if (seen) {
      seen.copies += 1;
      continue;
    }
    const decoded = fromBusValue(message.value);
    if (!decoded.ok || decoded.value.id !== id) {
      misdelivered.push(`${id}: bus value ${decoded.ok ? `carries id ${decoded.value.id}` : `does not decode (${decoded.reason})`}`);
      continue;
    }
    delivered.set(id, { record: decoded.value, topic: message.topic, copies: 1 });
  }

  const ruleEvents: EventRecord[] = [];
  const strangers: string[] = [];
  for (const [id, { record, topic }] of delivered) {
    if (topic !== TOPIC_OF_KIND[record.kind]) misdelivered.push(`${id}: ${record.kind} on ${topic}`);
    const entry = known.get(id);
    if (entry) {
      misdelivered.push(...flagProblems(entry, record));
    } else if (record.kind === 'event' && record.source.kind === 'edge' && record.source.id === nodeId) {
      ruleEvents.push(record);
    } else {
      strangers.push(id);
    }
  }

  const rowsByBytes = new Map<string, QuarantineRow[]>();
  for (const row of facts.quarantine) rowsByBytes.set(row.bytes.toString('base64'), [...(rowsByBytes.get(row.bytes.toString('base64')) ?? []), row]);
  const missing: string[] = [];
  const leaked: string[] = [];
  const notQuarantined: string[] = [];
  const quarantineUnseen: string[] = [];
  const expectedBytes = new Set<string>();
  for (const entry of ledger) {
    if (entry.expect.outcome === 'accepted') {
      if (entry.status === 'acked' && !delivered.has(entry.id)) missing.push(entry.id);
      continue;
    }
    if (delivered.has(entry.id)) leaked.push(entry.id);
    const bytes = entry.bytesBase64 ?? '';
    expectedBytes.add(bytes);
    const reasons = [
      ...(rowsByBytes.get(bytes) ?? []).map((row) => row.reason),
      ...deadLetters.filter((d) => d.id === entry.id || d.value.toString('base64') === bytes).map((d) => d.reason),
    ];
    if (reasons.includes(entry.expect.reason ?? '')) continue;
    if (entry.status === 'acked' || reasons.length > 0) notQuarantined.push(`${entry.id}: expected ${entry.expect.reason}, found [${reasons.join(', ')}]`);
    else quarantineUnseen.push(entry.id);
  }

  const quarantinedResends: FleetAccounting['quarantinedResends'] = [];
  const unexplainedQuarantine: FleetAccounting['unexplainedQuarantine'] = [];
  for (const row of facts.quarantine) {
    if (expectedBytes.has(row.bytes.toString('base64'))) continue;
    const id = row.topic === null ? undefined : messageIdOf(row.topic, row.bytes);
    if (id !== undefined && delivered.has(id)) quarantinedResends.push({ id, reason: row.reason });
    else unexplainedQuarantine.push({ reason: row.reason, detail: row.detail, topic: row.topic });
  }

  let busDuplicates = 0;
  for (const { copies } of delivered.values()) busDuplicates += copies - 1;
  return { delivered, busDuplicates, deadLetters, foreign, ruleEvents, missing, misdelivered, leaked, notQuarantined, quarantineUnseen, strangers, quarantinedResends, unexplainedQuarantine };
}

function epochKey(id: string): string {
  const parts = parseMessageId(id);
  return parts === undefined ? '' : `${parts.deviceId}:${parts.epoch}`;
}

/** The record must name the authenticated device and carry exactly the flags the ledger expects. */
function flagProblems(entry: LedgerEntry, record: FleetRecord): string[] {
  const problems: string[] = [];
  if (record.source.id !== entry.deviceId) problems.push(`${entry.id}: source ${record.source.id}, published by ${entry.deviceId}`);
  if (record.kind !== entry.recordKind) problems.push(`${entry.id}: kind ${record.kind}, published as ${entry.recordKind}`);
  if ((record.deviceIdOverridden === true) !== (entry.expect.deviceIdOverridden === true)) {
    problems.push(`${entry.id}: deviceIdOverridden ${String(record.deviceIdOverridden)}, expected ${String(entry.expect.deviceIdOverridden)}`);
  }
  if ((record.clock?.flag === 'skewed') !== (entry.expect.clockSkewed === true)) {
    problems.push(`${entry.id}: clock ${JSON.stringify(record.clock)}, expected skewed=${String(entry.expect.clockSkewed === true)}`);
  }
  if (record.deviceTime !== entry.deviceTime) problems.push(`${entry.id}: deviceTime ${record.deviceTime}, stamped ${entry.deviceTime}`);
  return problems;
}
