/**
 * The return saga's I/O: a consumer group over `fleetwire.events` with a stable id
 * (`fleetwire-returns`) that feeds TripEnded, ReturnVerified, FraudDetected and PaymentProcessed
 * to the saga functions (return-saga.ts), stores what changed with the offsets it reflects
 * (sqlite-return-store.ts), and produces the steps from the store's outbox. A timer checks the
 * deadlines on the service's clock (`now`, injectable: tests move time instead of sleeping).
 *
 * The store is self-contained: the group's committed offsets only say where the bus resumes;
 * the store's own offsets decide what was applied, so a batch delivered again after a crash
 * changes nothing. The saga's own events on the topic are not its input.
 */
import { BUS_TOPICS, type EventEnvelope } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Bus, DeliveredMessage } from '../../bus/bus.js';
import { createBusConsumer, type BusConsumer } from '../../bus-consumer.js';
import { decodeBatch } from '../bus-records.js';
import { bookingOf, onEvent, onTime, SAGA_INPUT_TYPES, SAGA_STATES, sagaIdOf, type ReturnSaga, type SagaInput } from './return-saga.js';
import { isSagaOwn, sagaRecords } from './saga-records.js';
import type { ReturnPolicy } from './settings.js';
import type { ReturnStore } from './sqlite-return-store.js';
import type { EventRecord } from '@fleetwire/protocol';

export interface ReturnSagaServiceOptions {
  bus: Bus;
  store: ReturnStore;
  policy: ReturnPolicy;
  metrics: Registry;
  logger: Logger;
  groupId: string;
  fromBeginning: boolean;
  tickIntervalMs: number;
  /** The saga's clock (ms since the epoch). Default Date.now. */
  now?: () => number;
}

export interface ReturnSagaService extends BusConsumer {
  /** Applies the deadlines that passed and produces unsent steps (the timer calls it; tests call it after moving the clock). */
  tick(): Promise<void>;
  /** Resolves once every step stored so far is on the bus (or the bus refused; the next tick retries). */
  flush(): Promise<void>;
}

const OUTBOX_BATCH = 500;
const DUE_BATCH = 200;

export function createReturnSagaService(options: ReturnSagaServiceOptions): ReturnSagaService {
  const { bus, store, policy } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ service: 'returns' });
  const registers = [options.metrics];
  const skipped = new Counter({ name: 'fleetwire_returns_records_skipped_total', help: 'Bus values the return saga could not decode, by reason', labelNames: ['reason'], registers });
  const steps = new Counter({ name: 'fleetwire_returns_steps_total', help: 'Saga steps stored (consumed and emitted events), by event type', labelNames: ['type'], registers });
  const duplicates = new Counter({ name: 'fleetwire_returns_redelivered_records_total', help: 'Records at or below the offset the saga store reflects (delivered again after a crash)', registers });
  new Gauge({
    name: 'fleetwire_returns_sagas', help: 'Return sagas in the store, by state', labelNames: ['state'], registers,
    collect() {
      const counts = store.counts();
      for (const state of SAGA_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });

  let flushing: Promise<void> = Promise.resolve();
  const produceOutbox = async (): Promise<void> => {
    for (let entries = store.outbox(OUTBOX_BATCH); entries.length > 0; entries = store.outbox(OUTBOX_BATCH)) {
      await bus.produce(entries.map((entry) => entry.message));
      store.produced(entries.map((entry) => entry.seq));
    }
  };
  /** One flush at a time; a failed one leaves the rows for the next. */
  const flush = (): Promise<void> => {
    flushing = flushing.then(produceOutbox).catch((error: unknown) => logger.warn({ err: error }, 'returns_steps_not_produced'));
    return flushing;
  };

  const counted = (records: readonly EventRecord[], consumed: readonly SagaInput[]): void => {
    for (const event of consumed) steps.inc({ type: event.type });
    for (const record of records) {
      steps.inc({ type: record.payload.type });
      logger.info({ sagaId: record.payload.correlationId, eventId: record.id, type: record.payload.type }, 'returns_step');
    }
  };

  const handle = async (batch: DeliveredMessage[]): Promise<void> => {
    const first = batch[0];
    if (first === undefined) return;
    const reflected = store.offsetOf(first.topic, first.partition);
    const fresh = reflected === undefined ? batch : batch.filter((message) => BigInt(message.offset) > reflected);
    duplicates.inc(batch.length - fresh.length);
    if (fresh.length === 0) return;
    const at = now();
    const changed = new Map<string, ReturnSaga>();
    const records: EventRecord[] = [];
    const consumed: SagaInput[] = [];
    for (const { record } of decodeBatch(fresh, skipped, logger, 'returns_record_skipped')) {
      if (record.kind !== 'event' || !isInput(record.payload)) continue;
      const booking = bookingOf(record.payload);
      if (booking === undefined) continue;
      const sagaId = sagaIdOf(booking);
      const transition = onEvent(changed.get(sagaId) ?? store.get(sagaId), record.payload, at, policy);
      if (transition === undefined) continue;
      const next = sagaRecords(transition, at);
      changed.set(sagaId, next.saga);
      records.push(...next.records);
      consumed.push(record.payload);
    }
    const last = fresh[fresh.length - 1]!;
    store.store({ sagas: [...changed.values()], records, offsets: [{ topic: last.topic, partition: last.partition, offset: last.offset }] });
    counted(records, consumed);
    await flush();
  };

  const tick = async (): Promise<void> => {
    const at = now();
    for (let due = store.due(at, DUE_BATCH), rounds = 0; due.length > 0 && rounds < 100; due = store.due(at, DUE_BATCH), rounds += 1) {
      const sagas: ReturnSaga[] = [];
      const records: EventRecord[] = [];
      for (const saga of due) {
        const transition = onTime(saga, at, policy);
        if (transition === undefined) continue;
        const next = sagaRecords(transition, at);
        sagas.push(next.saga);
        records.push(...next.records);
      }
      if (sagas.length === 0) break;
      store.store({ sagas, records, offsets: [] });
      counted(records, []);
    }
    await flush();
  };

  let timer: NodeJS.Timeout | undefined;
  const consumer = createBusConsumer({
    bus, groupId: options.groupId, topics: [BUS_TOPICS.events], fromBeginning: options.fromBeginning, handle, logger,
    startedEvent: 'returns_service_started',
    startedFields: { verdictTimeoutMs: policy.verdictTimeoutMs, paymentTimeoutMs: policy.paymentTimeoutMs },
    started: () => {
      timer = setInterval(() => {
        tick().catch((error: unknown) => logger.warn({ err: error }, 'returns_tick_failed'));
      }, options.tickIntervalMs);
      timer.unref();
    },
    stopping: () => clearInterval(timer),
    stopped: () => flushing,
  });
  return { ...consumer, tick, flush };
}

function isInput(event: EventEnvelope): event is SagaInput {
  return SAGA_INPUT_TYPES.has(event.type) && !isSagaOwn(event);
}
