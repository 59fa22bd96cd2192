/**
 * How a PaymentRequested command reaches the payment system: a consumer group of its own
 * (`fleetwire-payment-webhook`) over `fleetwire.events` that POSTs each PaymentRequested
 * envelope, as JSON, to `returns.payment.webhookUrl`. The payment system answers later and
 * separately, with PaymentProcessed through `POST /v1/events` (docs/returns-saga.md#payment).
 *
 * - 2xx: delivered. The request's `paymentRequestId` is the same on every attempt, so the
 *   payment system charges once however often it is told.
 * - 4xx other than 408/429: refused; counted and logged, not sent again (the same bytes would be
 *   refused again). The saga's payment deadline asks again or closes the saga.
 * - anything else (network error, 5xx, 408, 429): retried with back-off up to `attempts` times;
 *   then the batch is handed back to the bus as a retryable FW_PAYMENT_WEBHOOK_FAILED, which
 *   delivers it again (in order) until the payment system takes it.
 * - A request whose `answerDueAt` has passed is not sent: the saga has moved on (asked again, or
 *   closed), and its newer request is behind it on the same partition.
 */
import { BUS_TOPICS, type EventEnvelope } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Bus, DeliveredMessage } from '../../bus/bus.js';
import { createBusConsumer, type BusConsumer } from '../../bus-consumer.js';
import { CloudError } from '../../errors.js';
import { decodeBatch } from '../bus-records.js';
import { isSagaOwn } from './saga-records.js';

export interface PaymentWebhookOptions {
  bus: Bus;
  url: string;
  token?: string;
  groupId: string;
  fromBeginning: boolean;
  requestTimeoutMs: number;
  attempts: number;
  metrics: Registry;
  logger: Logger;
  /** First back-off between attempts, doubled each time. Default 250. */
  backoffMs?: number;
  now?: () => number;
}

export type PaymentWebhook = BusConsumer;

type Outcome = 'delivered' | 'refused' | 'expired';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createPaymentWebhook(options: PaymentWebhookOptions): PaymentWebhook {
  const logger = options.logger.child({ service: 'payment-webhook' });
  const now = options.now ?? Date.now;
  const backoffMs = options.backoffMs ?? 250;
  const registers = [options.metrics];
  const requests = new Counter({ name: 'fleetwire_payment_webhook_requests_total', help: 'PaymentRequested commands handled by the webhook, by outcome', labelNames: ['outcome'], registers });
  const failures = new Counter({ name: 'fleetwire_payment_webhook_failures_total', help: 'Webhook calls that failed and were retried, by cause', labelNames: ['cause'], registers });
  const skipped = new Counter({ name: 'fleetwire_payment_webhook_records_skipped_total', help: 'Bus values the webhook could not decode, by reason', labelNames: ['reason'], registers });
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }) };

  /** One call: the outcome, or the cause of a failure worth retrying. */
  const call = async (event: EventEnvelope<'PaymentRequested'>): Promise<Outcome | { retry: string }> => {
    try {
      const answer = await fetch(options.url, { method: 'POST', headers, body: JSON.stringify(event), signal: AbortSignal.timeout(options.requestTimeoutMs) });
      await answer.body?.cancel();
      if (answer.ok) return 'delivered';
      if (answer.status >= 500 || answer.status === 408 || answer.status === 429) return { retry: `http_${answer.status}` };
      logger.warn({ eventId: event.eventId, sagaId: event.correlationId, status: answer.status }, 'payment_request_refused');
      return 'refused';
    } catch (error) {
      return { retry: (error as Error).name === 'TimeoutError' ? 'timeout' : 'network' };
    }
  };

  const deliver = async (event: EventEnvelope<'PaymentRequested'>): Promise<void> => {
    if (Date.parse(event.data.answerDueAt) <= now()) {
      requests.inc({ outcome: 'expired' });
      return;
    }
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await call(event);
      if (typeof outcome === 'string') {
        requests.inc({ outcome });
        if (outcome === 'delivered') logger.info({ eventId: event.eventId, sagaId: event.correlationId, attempt: event.data.attempt }, 'payment_request_delivered');
        return;
      }
      failures.inc({ cause: outcome.retry });
      if (attempt >= options.attempts) {
        throw new CloudError('FW_PAYMENT_WEBHOOK_FAILED', `payment webhook ${new URL(options.url).origin}: ${outcome.retry} after ${attempt} attempts`, { canRetry: true });
      }
      await sleep(backoffMs * 2 ** (attempt - 1));
    }
  };

  const handle = async (batch: DeliveredMessage[]): Promise<void> => {
    for (const { record } of decodeBatch(batch, skipped, logger, 'payment_webhook_record_skipped')) {
      if (record.kind !== 'event' || record.payload.type !== 'PaymentRequested' || !isSagaOwn(record.payload)) continue;
      await deliver(record.payload);
    }
  };

  return createBusConsumer({
    bus: options.bus, groupId: options.groupId, topics: [BUS_TOPICS.events], fromBeginning: options.fromBeginning, handle, logger,
    startedEvent: 'payment_webhook_started', startedFields: { url: new URL(options.url).origin },
  });
}
