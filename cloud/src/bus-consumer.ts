/**
 * The lifecycle every bus consumer of the cloud shares — the time-series sink and the fleet,
 * analytics and maintenance services: `start` subscribes its consumer group once, `stop` closes
 * the subscription (a second call does nothing), `ready` answers /readyz. What each consumer
 * does with a batch is its own `handle`; this module owns only the subscription around it.
 *
 * Readiness is the consumer's own `health` check where it has one (the sink: the TSDB answers),
 * otherwise that it is subscribed (the services: their state may still be catching up). A
 * consumer built with `enabled: false` never subscribes and counts as ready.
 */
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Bus, SubscribeOptions, Subscription } from './bus/bus.js';

export interface BusConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** For /readyz. */
  ready(): Promise<boolean>;
}

export interface BusConsumerOptions {
  bus: Bus;
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  handle: SubscribeOptions['handle'];
  /** The member's partitions at each rebalance (`SubscribeOptions.assigned`). */
  assigned?: SubscribeOptions['assigned'];
  logger: Logger;
  /** The log event once subscribed, e.g. `fleet_service_started`; logged with groupId and topics. */
  startedEvent: string;
  /** More fields for that log line. */
  startedFields?: Record<string, unknown>;
  /** Default true. */
  enabled?: boolean;
  /** What the consumer depends on besides the bus, checked for readiness instead of the subscription. */
  health?: () => Promise<boolean>;
  /** Runs once the subscription stands (e.g. timers of the consumer's own). */
  started?: () => void;
  /** Runs before the subscription is closed. */
  stopping?: () => void;
  /** Runs after the subscription closed (e.g. sending what a timer left pending). */
  stopped?: () => Promise<void>;
}

/**
 * The `groupId` and `topics` options of a consumer's schema. A consumer whose state is
 * checkpointed (services/checkpointed/) passes its stable group name: every instance joins it and
 * they share the partitions. One whose state lives only in memory and is rebuilt from the oldest
 * record at each start passes `groupOfItsOwn(prefix)`: a shared group would resume after offsets
 * committed by an earlier process, whose state is gone.
 */
export function subscriptionOptions(groupId: string | (() => string), topics: readonly string[]) {
  return {
    groupId: Type.String({ minLength: 1, default: groupId, description: 'consumer group' }),
    topics: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, default: [...topics], description: 'topics consumed (logical names)' }),
  };
}

/** A new group for every process: `{prefix}.{random}`. */
export const groupOfItsOwn = (prefix: string) => (): string => `${prefix}.${randomUUID()}`;

export function createBusConsumer(options: BusConsumerOptions): BusConsumer {
  const { bus, groupId, topics, fromBeginning, handle, logger, enabled = true } = options;
  let subscription: Subscription | undefined;
  return {
    async start() {
      if (!enabled || subscription !== undefined) return;
      subscription = await bus.subscribe({ groupId, topics, fromBeginning, handle, ...(options.assigned === undefined ? {} : { assigned: options.assigned }) });
      options.started?.();
      logger.info({ groupId, topics, ...options.startedFields }, options.startedEvent);
    },
    async stop() {
      options.stopping?.();
      const current = subscription;
      subscription = undefined;
      await current?.close();
      await options.stopped?.();
    },
    ready: options.health ?? (async () => !enabled || subscription !== undefined),
  };
}
