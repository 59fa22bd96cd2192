/**
 * The time-series sink: a consumer group on the telemetry topics that writes every consumed
 * batch to the TSDB as one line-protocol write, and lets the bus commit the batch only after
 * the TSDB acknowledged it.
 *
 * - A failed write rejects the handler: nothing is committed and the bus re-delivers the batch
 *   with exponential backoff (bus options `retryInitialMs` / `retryMaxMs`), so a TSDB outage
 *   stalls the sink instead of losing points.
 * - Replays are harmless: a point's identity is its series plus the device timestamp, so a
 *   re-delivered batch overwrites (InfluxDB natively; VictoriaMetrics with
 *   `-dedup.minScrapeInterval=1ms`, see docs/bus.md).
 * - Data the TSDB refuses as such (HTTP 400/422) or a bus value that does not decode is skipped
 *   with a counter and a log line: retrying cannot help and would stall everything behind it.
 */
import type { DeliveredMessage, Subscription } from '../../bus/bus.js';
import { isRetryable } from '../../errors.js';
import { batchLines } from './batch-lines.js';
import { createInfluxWriter } from './influx-writer.js';
import { createTsdbSinkMetrics } from './metrics.js';
import { resolveTsdbSinkOptions, type TsdbSinkOptions } from './options.js';

export interface TsdbSink {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The TSDB answers its health check (for /readyz). */
  ready(): Promise<boolean>;
}

export function createTsdbSink(input: TsdbSinkOptions): TsdbSink {
  const options = resolveTsdbSinkOptions(input);
  const logger = options.logger.child({ sink: 'tsdb' });
  const metrics = createTsdbSinkMetrics(options.metrics);
  const writer = createInfluxWriter(options);
  let subscription: Subscription | undefined;

  const handle = async (batch: DeliveredMessage[]): Promise<void> => {
    const lines = batchLines(batch);
    metrics.duplicatesDropped.inc(lines.duplicates);
    for (const skip of lines.skipped) {
      metrics.recordsSkipped.inc({ reason: skip.reason });
      logger.error({ partition: skip.partition, offset: skip.offset, reason: skip.reason, detail: skip.detail }, 'tsdb_record_skipped');
    }
    if (lines.points === 0) return;
    const stopTimer = metrics.writeSeconds.startTimer();
    try {
      await writer.write(lines.body);
      metrics.pointsWritten.inc(lines.points);
    } catch (error) {
      if (isRetryable(error)) {
        metrics.writeErrors.inc({ kind: 'retryable' });
        logger.warn({ err: error, points: lines.points }, 'tsdb_write_failed');
        throw error;
      }
      metrics.writeErrors.inc({ kind: 'rejected' });
      logger.error({ err: error, points: lines.points, first: batch[0]?.offset, last: batch.at(-1)?.offset }, 'tsdb_write_rejected');
    } finally {
      stopTimer();
    }
  };

  return {
    async start() {
      if (subscription !== undefined) return;
      subscription = await options.bus.subscribe({
        groupId: options.groupId, topics: options.topics, fromBeginning: options.fromBeginning, handle,
      });
      logger.info({ groupId: options.groupId, topics: options.topics, url: options.url }, 'tsdb_sink_started');
    },
    async stop() {
      const current = subscription;
      subscription = undefined;
      await current?.close();
    },
    ready: () => writer.ping(),
  };
}
