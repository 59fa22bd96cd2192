/**
 * The time-series sink: a consumer group on the telemetry topics that writes every consumed
 * batch to the TSDB as one line-protocol write, and lets the bus commit the batch only after
 * the TSDB acknowledged it and every record it refused is on the dead-letter topic.
 *
 * - A failed write rejects the handler: nothing is committed and the bus re-delivers the batch
 *   with exponential backoff (bus options `retryInitialMs` / `retryMaxMs`), so a TSDB outage
 *   stalls the sink instead of losing points.
 * - Replays are harmless: a point's identity is its series plus the device timestamp, so a
 *   re-delivered batch overwrites (InfluxDB natively; VictoriaMetrics with
 *   `-dedup.minScrapeInterval=1ms`, see docs/bus.md).
 * - A write whose data the TSDB refuses (HTTP 400/422) is narrowed down by halving
 *   (`isolate-refused.ts`): the other records are written, each refused record goes to
 *   `fleetwire.dlq` with its original bytes and reason `tsdb_rejected`. A bus value that does not
 *   decode goes there too, with its decoding reason. Retrying either cannot help and would stall
 *   everything behind it; the dead letters are produced before the batch is committed, so a
 *   record is either in the TSDB or in the DLQ.
 */
import { BUS_HEADERS, redactUrl } from '@fleetwire/protocol';
import type { BusMessage, DeliveredMessage, HandlerProgress } from '../../bus/bus.js';
import { createBusConsumer, type BusConsumer } from '../../bus-consumer.js';
import { batchLines } from './batch-lines.js';
import { ORIGIN_HEADER, sinkDeadLetter } from './dead-letters.js';
import { isRefusedData } from './influx-writer.js';
import { writeIsolatingRefused } from './isolate-refused.js';
import { createTsdbSinkMetrics } from './metrics.js';
import { resolveTsdbSinkOptions, type TsdbSinkOptions } from './options.js';

/** Ready while the TSDB answers its health check. */
export type TsdbSink = BusConsumer;

/** Dead-lettered records named in one log line, like the ingest's `ingest_records_rejected`. */
const LOGGED_IDS = 20;

export function createTsdbSink(input: TsdbSinkOptions): TsdbSink {
  const options = resolveTsdbSinkOptions(input);
  const logger = options.logger.child({ sink: 'tsdb' });
  const metrics = createTsdbSinkMetrics(options.metrics);
  const { writer } = options;

  const write = async (body: string): Promise<void> => {
    const stopTimer = metrics.writeSeconds.startTimer();
    try {
      await writer.write(body);
    } catch (error) {
      const refused = isRefusedData(error);
      metrics.writeErrors.inc({ kind: refused ? 'rejected' : 'retryable' });
      if (!refused) logger.warn({ err: error }, 'tsdb_write_failed');
      throw error;
    } finally {
      stopTimer();
    }
  };

  const handle = async (batch: DeliveredMessage[], progress: HandlerProgress): Promise<void> => {
    const lines = batchLines(batch);
    metrics.duplicatesDropped.inc(lines.duplicates);
    const deadLetters: BusMessage[] = [];
    for (const skip of lines.skipped) {
      metrics.recordsSkipped.inc({ reason: skip.reason });
      logger.error({ partition: skip.partition, offset: skip.offset, reason: skip.reason, detail: skip.detail }, 'tsdb_record_skipped');
      deadLetters.push(sinkDeadLetter(skip.message, skip.reason, skip.detail));
    }

    const outcome = await writeIsolatingRefused(lines.records, write, () => progress.heartbeat());
    metrics.pointsWritten.inc(outcome.pointsWritten);
    if (outcome.refusedWrites > 0) {
      logger.error({
        points: lines.points, written: outcome.pointsWritten, refusedRecords: outcome.refused.length,
        refusedWrites: outcome.refusedWrites, first: batch[0]?.offset, last: batch.at(-1)?.offset,
      }, 'tsdb_write_rejected');
    }
    for (const { record, error } of outcome.refused) {
      deadLetters.push(sinkDeadLetter(record.message, 'tsdb_rejected', error instanceof Error ? error.message : String(error), record.record));
    }
    if (deadLetters.length === 0) return;

    // Stored before the handler resolves, i.e. before the offsets are committed; a bus failure
    // here re-delivers the batch (the points written are overwritten by the replay).
    await options.bus.produce(deadLetters);
    const headers = deadLetters.map((letter) => letter.headers);
    for (const h of headers) metrics.recordsDeadLettered.inc({ reason: h[BUS_HEADERS.reason] });
    logger.error({
      count: deadLetters.length,
      records: headers.slice(0, LOGGED_IDS).map((h) => ({ id: h[BUS_HEADERS.id], origin: h[ORIGIN_HEADER], reason: h[BUS_HEADERS.reason] })),
    }, 'tsdb_records_dead_lettered');
  };

  return createBusConsumer({
    bus: options.bus, groupId: options.groupId, topics: options.topics, fromBeginning: options.fromBeginning, handle, logger,
    startedEvent: 'tsdb_sink_started', startedFields: { url: redactUrl(options.url) },
    health: () => writer.ping(),
  });
}
