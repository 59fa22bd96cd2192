/**
 * Commands to vehicles on the cloud side (docs/commands.md): accepts a command, routes it to
 * the edge node that last sent a record of the vehicle, hands it out on that node's long poll,
 * and learns its outcome from the bus.
 *
 * - Accept: the command event (UnlockVehicle / LockVehicle, correlation id = command id, key =
 *   vehicle) is on the bus before the command is stored and answered; a resend with the same
 *   command id produces the same event id and finds the stored row. No route: the command fails
 *   `unroutable` at once.
 * - Hand out: a node's poll gets its commands after the seq it names that are still owed an
 *   outcome; the first hand-out makes a command `sent`. From then on only the edge decides its
 *   outcome (it may have executed it), so the cloud never fails a command it handed out.
 * - Expire: a command still `pending` at its deadline fails `expired` (CommandFailed on the bus).
 * - Outcome: a consumer of `fleetwire.events` takes the first VehicleUnlocked, VehicleLocked or
 *   CommandFailed whose correlation id is a command's id — from the node it was routed to, or
 *   from this service — and wakes whoever waits for it.
 */
import {
  BUS_TOPICS,
  COMMAND_RESULT_EVENTS,
  createEvent,
  createEventRecord,
  formatMessageId,
  toBusMessage,
  type CommandFailureReason,
  type CommandType,
  type DecodedBatch,
  type EventEnvelope,
  type FleetRecord,
} from '@fleetwire/protocol';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Bus, DeliveredMessage } from '../bus/bus.js';
import { createBusConsumer, type BusConsumer } from '../bus-consumer.js';
import { CloudError } from '../errors.js';
import type { NodeIdentity } from '../ingest/auth/node-registry.js';
import { decodeBatch } from '../services/bus-records.js';
import type { CloudCommandStore, CommandRow } from './command-store.js';

export interface CommandRequest {
  commandId: string;
  type: CommandType;
  vehicleId: string;
  bookingId?: string;
  deadline: number;
}

export interface CommandServiceOptions {
  bus: Bus;
  store: CloudCommandStore;
  metrics: Registry;
  logger: Logger;
  /** How often pending commands are checked against their deadline. */
  sweepIntervalMs: number;
  /** Default `fleetwire-commands`: the command log is durable, so the group resumes where it stopped. */
  groupId?: string;
  now?: () => number;
  /** Told when the log changed (a command accepted, handed out or finished), e.g. to update the dashboard. */
  onChange?: () => void;
}

export interface CommandService extends BusConsumer {
  submit(clientId: string, request: CommandRequest): Promise<{ row: CommandRow; created: boolean }>;
  get(commandId: string): CommandRow | undefined;
  list(filter: { vehicleId?: string; clientId?: string; limit: number }): CommandRow[];
  /** Resolves with the row once it has an outcome, or as it is after `waitMs`. */
  waitForOutcome(commandId: string, waitMs: number, cancelled: AbortSignal): Promise<CommandRow | undefined>;
  /** The long poll of a node: its owed commands after `after`, waiting up to `waitMs` for one. */
  pollFor(nodeId: string, after: number, waitMs: number, cancelled: AbortSignal): Promise<CommandRow[]>;
  /** Ingest's hook: the node that stored a batch serves the vehicles in it. */
  observeBatch(node: NodeIdentity, batch: DecodedBatch): void;
}

/** The service's own name as an event source and id owner. */
const SOURCE = 'commands';
const TERMINAL = new Set(['succeeded', 'failed']);
const HAND_OUT_LIMIT = 100;

/** Ids of the events the cloud produces for a command: the same for a resend, apart per role. */
function cloudEventId(role: 'c' | 'f', commandId: string): string {
  const hash = createHash('sha256').update(commandId).digest('hex').slice(0, 31);
  return formatMessageId({ deviceId: SOURCE, epoch: `${role}${hash}`, seq: 0 });
}

export function createCommandService(options: CommandServiceOptions): CommandService {
  const { bus, store } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ service: 'commands' });
  const registers = [options.metrics];
  const submitted = new Counter({ name: 'fleetwire_commands_submitted_total', help: 'Commands accepted by type (duplicates not counted)', labelNames: ['type'], registers });
  const finished = new Counter({ name: 'fleetwire_commands_finished_total', help: 'Commands that got their outcome, by outcome (succeeded or the failure reason)', labelNames: ['outcome'], registers });
  const skipped = new Counter({ name: 'fleetwire_commands_records_skipped_total', help: 'Bus values the command service could not decode', labelNames: ['reason'], registers });
  const outcomeWaiters = new Map<string, Set<() => void>>();
  const nodeWaiters = new Map<string, Set<() => void>>();
  let sweep: NodeJS.Timeout | undefined;
  /** vehicle → node, as stored; one entry per vehicle of the fleet. */
  const routes = new Map<string, string>();

  const wake = (waiters: Map<string, Set<() => void>>, key: string): void => {
    const set = waiters.get(key);
    if (set === undefined) return;
    waiters.delete(key);
    for (const resolve of set) resolve();
  };

  // Aborted at stop: a long poll or outcome wait still waiting returns at once, without touching
  // the store (closed right after the service).
  const closing = new AbortController();

  /** Resolves when woken for `key`, after `ms`, when cancelled or at stop — whichever comes first. */
  const waitOn = (waiters: Map<string, Set<() => void>>, key: string, ms: number, cancelled: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        cancelled.removeEventListener('abort', done);
        closing.signal.removeEventListener('abort', done);
        waiters.get(key)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      cancelled.addEventListener('abort', done, { once: true });
      closing.signal.addEventListener('abort', done, { once: true });
      const set = waiters.get(key) ?? new Set();
      set.add(done);
      waiters.set(key, set);
    });

  function failureEvent(row: Pick<CommandRow, 'commandId' | 'type' | 'vehicleId' | 'nodeId'>, reason: CommandFailureReason, detail: string, at: number): EventEnvelope {
    return createEvent('CommandFailed', {
      eventId: cloudEventId('f', row.commandId),
      source: `cloud:${SOURCE}`,
      subject: { kind: 'vehicle', id: row.vehicleId },
      correlationId: row.commandId,
      occurredAt: at,
      data: { commandId: row.commandId, command: row.type, vehicleId: row.vehicleId, ...(row.nodeId === undefined ? {} : { nodeId: row.nodeId }), reason, detail },
    });
  }

  function commandEvent(clientId: string, request: CommandRequest, nodeId: string | undefined, at: number): EventEnvelope {
    const common = {
      eventId: cloudEventId('c', request.commandId),
      source: `cloud:${SOURCE}`,
      subject: { kind: 'vehicle' as const, id: request.vehicleId },
      correlationId: request.commandId,
      occurredAt: at,
    };
    const base = {
      commandId: request.commandId,
      vehicleId: request.vehicleId,
      ...(nodeId === undefined ? {} : { nodeId }),
      deadline: new Date(request.deadline).toISOString(),
      requestedBy: `service:${clientId}`,
    };
    if (request.type === 'LockVehicle') return createEvent('LockVehicle', { ...common, data: { ...base, ...(request.bookingId === undefined ? {} : { bookingId: request.bookingId }) } });
    if (request.bookingId === undefined) throw new CloudError('FW_COMMAND_INVALID', 'UnlockVehicle needs the bookingId it unlocks for');
    return createEvent('UnlockVehicle', { ...common, data: { ...base, bookingId: request.bookingId } });
  }

  const produce = (events: EventEnvelope[], at: number) =>
    bus.produce(events.map((event) => toBusMessage(createEventRecord(event, { source: { kind: 'cloud', id: SOURCE }, receivedAt: at }))));

  function settle(row: CommandRow, outcome: Parameters<CloudCommandStore['settle']>[1]): void {
    if (!store.settle(row.commandId, outcome)) return;
    finished.inc({ outcome: outcome.status === 'succeeded' ? 'succeeded' : (outcome.reason ?? 'failed') });
    logger.info({ event: 'command_finished', commandId: row.commandId, vehicleId: row.vehicleId, status: outcome.status, reason: outcome.reason }, 'command_finished');
    wake(outcomeWaiters, row.commandId);
    options.onChange?.();
  }

  async function expireOverdue(): Promise<void> {
    const at = now();
    for (const row of store.overdue(at)) {
      const detail = row.nodeId === undefined ? 'no edge node took it before its deadline' : `edge node ${row.nodeId} did not ask for it before its deadline`;
      const event = failureEvent(row, 'expired', detail, at);
      await produce([event], at);
      settle(row, { status: 'failed', reason: 'expired', detail, outcomeEventId: event.eventId, at });
    }
  }

  /** The outcome a bus record carries for a command, if it is one the command can have. */
  function outcomeOf(record: FleetRecord): void {
    if (record.kind !== 'event') return;
    const event = record.payload;
    const commandId = event.correlationId;
    if (commandId === undefined) return;
    if (event.type !== 'VehicleUnlocked' && event.type !== 'VehicleLocked' && event.type !== 'CommandFailed') return;
    const row = store.get(commandId);
    if (row === undefined || TERMINAL.has(row.status)) return;
    const fromRoutedNode = record.source.kind === 'edge' && record.source.id === row.nodeId;
    const fromHere = record.source.kind === 'cloud' && record.source.id === SOURCE;
    if (!fromRoutedNode && !fromHere) {
      logger.warn({ event: 'command_outcome_foreign', commandId, source: record.source }, 'command_outcome_foreign');
      return;
    }
    const at = now();
    if (event.type === 'CommandFailed') {
      settle(row, { status: 'failed', reason: event.data.reason, ...(event.data.detail === undefined ? {} : { detail: event.data.detail }), outcomeEventId: event.eventId, at });
    } else if (event.type === COMMAND_RESULT_EVENTS[row.type]) {
      settle(row, { status: 'succeeded', outcomeEventId: event.eventId, at });
    }
  }

  const consumer = createBusConsumer({
    bus,
    groupId: options.groupId ?? 'fleetwire-commands',
    topics: [BUS_TOPICS.events],
    fromBeginning: true,
    handle: async (batch: DeliveredMessage[]) => {
      for (const { record } of decodeBatch(batch, skipped, logger, 'commands_record_skipped')) outcomeOf(record);
    },
    logger,
    startedEvent: 'commands_service_started',
    started: () => {
      sweep = setInterval(() => {
        expireOverdue().catch((error: unknown) => logger.warn({ event: 'commands_expiry_failed', err: error }, 'commands_expiry_failed'));
      }, options.sweepIntervalMs);
    },
    stopping: () => {
      clearInterval(sweep);
      closing.abort();
    },
  });

  return {
    ...consumer,
    async submit(clientId, request) {
      const existing = store.get(request.commandId);
      if (existing !== undefined) return { row: sameCommand(existing, clientId, request), created: false };
      const at = now();
      if (request.deadline <= at) throw new CloudError('FW_COMMAND_INVALID', 'the deadline has passed already');
      const nodeId = routes.get(request.vehicleId) ?? store.routeOf(request.vehicleId);
      const command = commandEvent(clientId, request, nodeId, at);
      const row = { commandId: request.commandId, type: request.type, vehicleId: request.vehicleId, ...(nodeId === undefined ? {} : { nodeId }) };
      const unroutable = nodeId === undefined ? failureEvent(row, 'unroutable', 'no edge node has reported this vehicle', at) : undefined;
      // On the bus first: the audit trail and every consumer see each accepted command.
      await produce(unroutable === undefined ? [command] : [command, unroutable], at);
      const stored = store.insert({
        ...row,
        clientId,
        ...(request.bookingId === undefined ? {} : { bookingId: request.bookingId }),
        status: 'pending',
        requestedAt: at,
        deadline: request.deadline,
      });
      if (!stored.created) return { row: sameCommand(stored.row, clientId, request), created: false };
      submitted.inc({ type: request.type });
      if (unroutable !== undefined) {
        settle(stored.row, { status: 'failed', reason: 'unroutable', detail: 'no edge node has reported this vehicle', outcomeEventId: unroutable.eventId, at });
      } else {
        wake(nodeWaiters, nodeId!);
      }
      options.onChange?.();
      logger.info({ event: 'command_accepted', commandId: request.commandId, type: request.type, vehicleId: request.vehicleId, nodeId, clientId }, 'command_accepted');
      return { row: store.get(request.commandId)!, created: true };
    },
    get: (commandId) => store.get(commandId),
    list: (filter) => store.list(filter),
    async waitForOutcome(commandId, waitMs, cancelled) {
      const until = now() + waitMs;
      for (;;) {
        const row = store.get(commandId);
        if (row === undefined || TERMINAL.has(row.status) || now() >= until || cancelled.aborted) return row;
        await waitOn(outcomeWaiters, commandId, until - now(), cancelled);
        if (closing.signal.aborted) return row;
      }
    },
    async pollFor(nodeId, after, waitMs, cancelled) {
      const until = now() + waitMs;
      for (;;) {
        if (closing.signal.aborted) return [];
        const rows = store.handOut(nodeId, after, now(), HAND_OUT_LIMIT);
        if (rows.length > 0) options.onChange?.();
        if (rows.length > 0 || now() >= until || cancelled.aborted) return rows;
        await waitOn(nodeWaiters, nodeId, until - now(), cancelled);
        if (closing.signal.aborted) return [];
      }
    },
    observeBatch(node, batch) {
      const at = now();
      const seen = new Set<string>();
      for (const entry of batch.entries) {
        if (!entry.ok || entry.head.source.kind !== 'vehicle') continue;
        const vehicleId = entry.head.source.id;
        if (seen.has(vehicleId) || !node.servesDevice(vehicleId)) continue;
        seen.add(vehicleId);
        // Written only when the vehicle moved to another node; the cache spares the hot path a read.
        if ((routes.get(vehicleId) ?? store.routeOf(vehicleId)) !== node.nodeId) store.setRoute(vehicleId, node.nodeId, at);
        routes.set(vehicleId, node.nodeId);
      }
    },
  };
}

/** A resend with the same id must be the same command, from the same client. */
function sameCommand(row: CommandRow, clientId: string, request: CommandRequest): CommandRow {
  if (row.clientId !== clientId || row.type !== request.type || row.vehicleId !== request.vehicleId || row.bookingId !== request.bookingId) {
    throw new CloudError('FW_COMMAND_CONFLICT', `command ${row.commandId} exists with other content`);
  }
  return row;
}
