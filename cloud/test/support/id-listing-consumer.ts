/**
 * A checkpointed consumer whose state lists the `fw-id`s it applied, so exactly-once shows as
 * each id once — for the restart tests of the checkpointed machinery on either bus.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Bus, DeliveredMessage } from '../../src/bus/bus.js';
import { createCheckpointStore } from '../../src/services/checkpointed/checkpoint-store.js';
import { createPartitionedConsumer, type PartitionedConsumer } from '../../src/services/checkpointed/partitioned-consumer.js';

export interface AppliedIds { ids: string[] }

/** The bus, with every record it hands a subscriber noted in `delivered`. */
export function notingDeliveries(bus: Bus, delivered: DeliveredMessage[]): Bus {
  return { ...bus, subscribe: (options) => bus.subscribe({ ...options, handle: (batch, progress) => (delivered.push(...batch), options.handle(batch, progress)) }) };
}

/**
 * Never checkpoints while running (interval and record count out of reach): the group's offset
 * stays where it began and only a stop checkpoints. Checkpoints go to `checkpointsBus` (the
 * unwrapped bus when `bus` notes deliveries).
 */
export function idListingConsumer(options: { bus: Bus; checkpointsBus: Bus; groupId: string; topic: string }): PartitionedConsumer<AppliedIds> {
  return createPartitionedConsumer<AppliedIds>({
    bus: options.bus,
    store: createCheckpointStore(options.checkpointsBus),
    groupId: options.groupId,
    topics: [options.topic],
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    service: 'test',
    startedEvent: 'test_started',
    settings: { checkpointIntervalMs: 600_000, checkpointRecords: 1_000_000, readyMaxLag: 0, viewRefreshMs: 600_000, restoreLogIntervalMs: 600_000 },
    create: () => ({ ids: [] }),
    async apply(state, batch) {
      state.ids.push(...batch.map((m) => m.headers['fw-id'] as string));
    },
    encode: (state) => state,
    decode: (data) => data as AppliedIds,
  });
}
