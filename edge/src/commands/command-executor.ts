/**
 * Runs the commands the edge took from the cloud against the vehicles on its broker, and turns
 * each into exactly one outcome record in the durable buffer.
 *
 * - On arrival: past its deadline → CommandFailed `expired`, never sent to the vehicle.
 *   Otherwise published at QoS 1 on the vehicle's `commands/{unlock|lock}` topic when it is
 *   connected, or kept `waiting` and published when it subscribes to its commands.
 * - The vehicle answers with a CommandAcknowledged event through the normal intake. The
 *   pipeline asks `evaluate` (as it asks the local rules) and commits the outcome in the same
 *   transaction as the acknowledgement: VehicleUnlocked / VehicleLocked, or CommandFailed
 *   `refused`. The vehicle gets its PUBACK only after that commit, so a lost commit makes it
 *   resend the acknowledgement.
 * - At the deadline, a command without an acknowledgement fails `offline` (not connected, or
 *   no answer).
 *
 * Exactly one outcome per command: every outcome of a command has the same record id (derived
 * from the node and the command id), so a success and a failure racing through a crash are one
 * record to the buffer's and the cloud's dedupe; and the state is moved to `failing` before a
 * failure is committed, so an acknowledgement arriving meanwhile raises nothing.
 */
import {
  COMMAND_RESULT_EVENTS,
  COMMAND_TOPIC_LEVELS,
  createEvent,
  createEventRecord,
  formatEventSource,
  formatTopic,
  type CommandFailureReason,
  type DeviceCommand,
  type DeviceIdentity,
  type EventData,
  type EventEnvelope,
  type EventRecord,
  type FleetRecord,
} from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { RecordBuffer } from '../buffer/buffer.js';
import { ruleEventId } from '../message-ids.js';
import type { CommandStore, StoredCommand } from './command-store.js';

/** What the executor needs of the MQTT broker (intake/broker's DeviceChannel). */
export interface DeviceSender {
  sendToDevice(deviceId: string, topic: string, payload: Buffer): boolean;
}

export type CommandOutcomeLabel = 'succeeded' | CommandFailureReason;

export interface CommandExecutorOptions {
  nodeId: string;
  store: CommandStore;
  buffer: Pick<RecordBuffer, 'append'>;
  /** The embedded broker, once it exists; undefined (bridge or OCPP only): nothing can be sent. */
  devices: () => DeviceSender | undefined;
  logger: Logger;
  outcomes: Counter<'outcome'>;
  now?: () => number;
}

export interface CommandExecutor {
  /** Commands just stored: expire or publish them, and watch their deadlines. */
  take(commands: readonly StoredCommand[]): Promise<void>;
  /** After a restart: finish what a crash interrupted, re-arm deadlines, resend what waits. */
  resume(): Promise<void>;
  /** A vehicle (re)subscribed to its commands: send what waits for it. */
  vehicleSubscribed(identity: DeviceIdentity): void;
  /** For the intake pipeline, like a local rule: the outcome of a vehicle's acknowledgement. */
  evaluate(record: FleetRecord): EventRecord[];
  /** After the commit of a record: an acknowledgement's outcome is now durable. */
  observe(record: FleetRecord): void;
  stop(): void;
}

/** The one record id every outcome of a command has. */
export function commandOutcomeId(nodeId: string, commandId: string): string {
  return ruleEventId(nodeId, 'command-outcome', commandId);
}

export function deviceCommandPayload(command: StoredCommand): DeviceCommand {
  return {
    commandId: command.commandId,
    type: command.type,
    deadline: new Date(command.deadline).toISOString(),
    ...(command.bookingId === undefined ? {} : { bookingId: command.bookingId }),
  };
}

type Acknowledgement = EventEnvelope<'CommandAcknowledged'>;

function acknowledgementOf(record: FleetRecord): { vehicleId: string; ack: Acknowledgement } | undefined {
  if (record.kind !== 'event' || record.source.kind !== 'vehicle' || record.payload.type !== 'CommandAcknowledged') return undefined;
  return { vehicleId: record.source.id, ack: record.payload };
}

export function createCommandExecutor(options: CommandExecutorOptions): CommandExecutor {
  const { nodeId, store, buffer, devices, logger, outcomes } = options;
  const now = options.now ?? Date.now;
  const source = formatEventSource('edge', nodeId);
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  function outcomeRecord<T extends 'VehicleUnlocked' | 'VehicleLocked' | 'CommandFailed'>(command: StoredCommand, type: T, data: EventData[T], occurredAt: number): EventRecord {
    const event = createEvent(type, {
      eventId: commandOutcomeId(nodeId, command.commandId),
      source,
      subject: { kind: 'vehicle', id: command.vehicleId },
      correlationId: command.commandId,
      occurredAt,
      data,
    });
    return createEventRecord(event as EventEnvelope, { source: { kind: 'edge', id: nodeId }, receivedAt: now() });
  }

  function failureRecord(command: StoredCommand, reason: CommandFailureReason, detail: string): EventRecord {
    return outcomeRecord(command, 'CommandFailed', { commandId: command.commandId, command: command.type, vehicleId: command.vehicleId, nodeId, reason, detail }, now());
  }

  async function fail(command: StoredCommand, reason: CommandFailureReason, detail: string): Promise<void> {
    clearDeadline(command.commandId);
    store.setState(command.commandId, 'failing');
    try {
      await buffer.append([failureRecord(command, reason, detail)]);
    } catch (error) {
      // Stays `failing`: the next start commits it (same id, so at most once).
      logger.error({ event: 'command_outcome_not_stored', commandId: command.commandId, err: error }, 'command_outcome_not_stored');
      return;
    }
    store.setState(command.commandId, 'failed');
    outcomes.inc({ outcome: reason });
    logger.info({ event: 'command_failed', commandId: command.commandId, vehicleId: command.vehicleId, type: command.type, reason, detail }, 'command_failed');
  }

  function publish(command: StoredCommand): boolean {
    const channel = devices();
    if (channel === undefined) return false;
    const topic = formatTopic({ kind: 'vehicle', deviceId: command.vehicleId, channel: 'commands', command: COMMAND_TOPIC_LEVELS[command.type] });
    const sent = channel.sendToDevice(command.vehicleId, topic, Buffer.from(JSON.stringify(deviceCommandPayload(command))));
    if (!sent) return false;
    if (command.state === 'waiting') store.setState(command.commandId, 'published');
    logger.info({ event: 'command_published', commandId: command.commandId, vehicleId: command.vehicleId, type: command.type }, 'command_published');
    return true;
  }

  function clearDeadline(commandId: string): void {
    clearTimeout(timers.get(commandId));
    timers.delete(commandId);
  }

  function watchDeadline(command: StoredCommand): void {
    clearDeadline(command.commandId);
    const timer = setTimeout(() => {
      timers.delete(command.commandId);
      const current = store.get(command.commandId);
      if (stopped || current === undefined) return;
      if (current.state === 'waiting') void fail(current, 'offline', 'the vehicle was not connected before the deadline');
      else if (current.state === 'published') void fail(current, 'offline', 'the vehicle did not acknowledge before the deadline');
    }, Math.max(0, command.deadline - now()));
    timers.set(command.commandId, timer);
  }

  async function start(command: StoredCommand): Promise<void> {
    const late = now() - command.deadline;
    if (late >= 0) {
      await fail(command, 'expired', `reached the edge ${late} ms after its deadline`);
      return;
    }
    watchDeadline(command);
    if (!publish(command)) logger.info({ event: 'command_waiting', commandId: command.commandId, vehicleId: command.vehicleId }, 'command_waiting');
  }

  return {
    async take(commands) {
      for (const command of commands) await start(command);
    },
    async resume() {
      for (const command of store.unfinished()) {
        if (command.state === 'failing') {
          // The crash came between deciding and committing; the reason is re-derived.
          await fail(command, command.deadline <= command.receivedAt ? 'expired' : 'offline', 'the edge restarted before the vehicle acknowledged');
        } else if (now() >= command.deadline) {
          await fail(command, 'offline', 'the vehicle did not acknowledge before the deadline (the edge restarted)');
        } else {
          watchDeadline(command);
          publish(command);
        }
      }
    },
    vehicleSubscribed(identity) {
      if (identity.kind !== 'vehicle') return;
      for (const command of store.unfinished()) {
        // A published command is sent again: the vehicle may have lost it with its session; it dedupes by id.
        if (command.vehicleId === identity.deviceId && command.state !== 'failing' && command.deadline > now()) publish(command);
      }
    },
    evaluate(record) {
      const seen = acknowledgementOf(record);
      if (seen === undefined) return [];
      const { vehicleId, ack } = seen;
      const command = store.get(ack.data.commandId);
      if (command === undefined || command.vehicleId !== vehicleId) {
        logger.warn({ event: 'command_ack_unknown', commandId: ack.data.commandId, vehicleId }, 'command_ack_unknown');
        return [];
      }
      if (command.state === 'failing' || command.state === 'failed') {
        logger.warn({ event: 'command_ack_late', commandId: command.commandId, vehicleId }, 'command_ack_late');
        return [];
      }
      const occurredAt = record.deviceTime;
      const { position } = ack.data;
      if (ack.data.result === 'refused') {
        return [outcomeRecord(command, 'CommandFailed', { commandId: command.commandId, command: command.type, vehicleId, nodeId, reason: 'refused', detail: `the vehicle refused: ${ack.data.reason ?? 'no reason given'}` }, occurredAt)];
      }
      const { bookingId } = command;
      if (COMMAND_RESULT_EVENTS[command.type] === 'VehicleLocked') {
        return [outcomeRecord(command, 'VehicleLocked', { vehicleId, ...(bookingId === undefined ? {} : { bookingId }), method: 'remote', position }, occurredAt)];
      }
      // The cloud never hands out an unlock without its booking; an unlock event cannot be written without one.
      if (bookingId === undefined) {
        return [outcomeRecord(command, 'CommandFailed', { commandId: command.commandId, command: command.type, vehicleId, nodeId, reason: 'refused', detail: 'an unlock without a booking' }, occurredAt)];
      }
      return [outcomeRecord(command, 'VehicleUnlocked', { vehicleId, bookingId, method: 'remote', position }, occurredAt)];
    },
    observe(record) {
      const seen = acknowledgementOf(record);
      if (seen === undefined) return;
      const command = store.get(seen.ack.data.commandId);
      if (command === undefined || command.vehicleId !== seen.vehicleId || (command.state !== 'waiting' && command.state !== 'published')) return;
      clearDeadline(command.commandId);
      const refused = seen.ack.data.result === 'refused';
      store.setState(command.commandId, refused ? 'failed' : 'succeeded');
      outcomes.inc({ outcome: refused ? 'refused' : 'succeeded' });
      logger.info({ event: refused ? 'command_failed' : 'command_succeeded', commandId: command.commandId, vehicleId: command.vehicleId, type: command.type, ...(refused ? { reason: 'refused' } : {}) }, refused ? 'command_failed' : 'command_succeeded');
    },
    stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
