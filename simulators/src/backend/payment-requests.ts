/**
 * The payment service's door for the cloud's return saga: an HTTP endpoint that takes
 * PaymentRequested commands (the cloud's payment webhook POSTs each one as a JSON event
 * envelope, `returns.payment.webhookUrl`) and hands them to the backend, which answers later
 * with PaymentProcessed through the cloud's `POST /v1/events`.
 *
 * 202 once handed over (a repeated request is handed over again; the backend charges a request
 * id once); 400 for a body that is not a valid PaymentRequested; 401 without the expected token.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateEvent, type EventEnvelope } from '@fleetwire/protocol';

export const PAYMENT_REQUESTS_PATH = '/payment-requests';

export interface PaymentRequestsOptions {
  onRequest(event: EventEnvelope<'PaymentRequested'>): void;
  /** Default 127.0.0.1 and a free port. */
  host?: string;
  port?: number;
  /** Expected as `authorization: Bearer {token}` when set. */
  token?: string;
}

export interface PaymentRequestsEndpoint {
  /** e.g. http://127.0.0.1:41234/payment-requests — the cloud's `returns.payment.webhookUrl`. */
  readonly url: string;
  received(): number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

export async function servePaymentRequests(options: PaymentRequestsOptions): Promise<PaymentRequestsEndpoint> {
  let received = 0;
  const server = createServer((request, response) => {
    const answer = (status: number, body: unknown = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.method !== 'POST' || request.url !== PAYMENT_REQUESTS_PATH) return answer(404, { error: 'not_found' });
    if (options.token !== undefined && request.headers.authorization !== `Bearer ${options.token}`) return answer(401, { error: 'unauthorized' });
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    request.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(400, { error: 'not_json' });
      }
      const verdict = validateEvent(body);
      if (size > MAX_BODY || !verdict.ok || verdict.value.type !== 'PaymentRequested') return answer(400, { error: verdict.ok ? 'not_a_payment_request' : verdict.reason });
      received += 1;
      options.onRequest(verdict.value as EventEnvelope<'PaymentRequested'>);
      answer(202, { accepted: verdict.value.eventId });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}${PAYMENT_REQUESTS_PATH}`,
    received: () => received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
