/**
 * The audit recorder: a consumer group over `fleetwire.events` that appends the audited
 * operations (audited-operations.ts) to the audit log. Unlike the in-memory services it keeps a
 * stable group id (`fleetwire-audit`) and resumes from its committed offsets: the log is durable,
 * so a restart replays only the tail. A batch's offsets are committed only after its entries are
 * appended (and fsynced); a record delivered again after a crash has the same ref and is not
 * appended twice.
 */
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Bus, DeliveredMessage } from '../bus/bus.js';
import { createBusConsumer, type BusConsumer } from '../bus-consumer.js';
import { BUS_TOPICS } from '@fleetwire/protocol';
import { decodeBatch } from '../services/bus-records.js';
import { auditedOperation } from './audited-operations.js';
import type { AuditLog } from './sqlite-audit-log.js';

export interface AuditServiceOptions {
  bus: Bus;
  log: AuditLog;
  metrics: Registry;
  logger: Logger;
  /** Default `fleetwire-audit`: one group for every cloud instance, since they share one log. */
  groupId?: string;
}

export type AuditService = BusConsumer;

export function createAuditService(options: AuditServiceOptions): AuditService {
  const logger = options.logger.child({ service: 'audit' });
  const groupId = options.groupId ?? 'fleetwire-audit';
  const registers = [options.metrics];
  const appended = new Counter({ name: 'fleetwire_audit_entries_appended_total', help: 'Audit entries appended from the bus, by action', labelNames: ['action'], registers });
  const skipped = new Counter({ name: 'fleetwire_audit_records_skipped_total', help: 'Bus values the audit recorder could not decode', labelNames: ['reason'], registers });
  const handle = async (batch: DeliveredMessage[]): Promise<void> => {
    for (const { record } of decodeBatch(batch, skipped, logger, 'audit_record_skipped')) {
      const operation = auditedOperation(record);
      if (operation === undefined) continue;
      if (options.log.append(operation).appended) appended.inc({ action: operation.action });
    }
  };

  return createBusConsumer({
    bus: options.bus,
    groupId,
    topics: [BUS_TOPICS.events],
    fromBeginning: true,
    handle,
    logger,
    startedEvent: 'audit_service_started',
  });
}
