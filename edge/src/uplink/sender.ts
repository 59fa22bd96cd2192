/**
 * One HTTP attempt: POST an encoded batch over node:http or node:https through one keep-alive
 * agent per uplink (it carries the TLS material: private CA, client certificate and key),
 * bounded by a timeout and by the uplink's stop signal. Never throws: a failure is an answer of
 * its own kind. Redirects are not followed: a 3xx is answered like any other unexpected status.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BATCH_PATH, type EncodedBatch } from '@fleetwire/protocol';
import { describeNetworkError } from './network-error.js';
import type { UplinkTls } from './tls.js';

export type SendResult =
  | { kind: 'answer'; status: number; retryAfter: string | null; body: string }
  /** `tls`: the handshake or a certificate check failed (a configuration problem). */
  | { kind: 'network'; timedOut: boolean; tls: boolean; message: string };

export interface SenderOptions {
  /** Base URL of the cloud ingest (http:// or https://). */
  url: string;
  /** Bearer token; '' = none (the node authenticates with its client certificate). Never logged. */
  token: string;
  /** Only for https:// URLs. */
  tls?: UplinkTls;
  /** Connections kept to the cloud: the uplink's concurrency. */
  maxSockets: number;
}

export interface SendOptions {
  timeoutMs: number;
  /** Aborts the attempt when the uplink is stopping. */
  signal: AbortSignal;
}

export interface Sender {
  send(batch: EncodedBatch, options: SendOptions): Promise<SendResult>;
  /** Closes the kept connections; a later send opens new ones. */
  close(): void;
}

/** Bodies of answers beyond this are cut: an answer is a small JSON document. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export function createSender(options: SenderOptions): Sender {
  const target = new URL(`${options.url}${BATCH_PATH}`);
  const secure = target.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
  const agent = secure ? new HttpsAgent({ ...agentOptions, ...options.tls }) : new HttpAgent(agentOptions);
  const request = secure ? httpsRequest : httpRequest;
  const auth = options.token === '' ? {} : { authorization: `Bearer ${options.token}` };
  const clientCertificate = secure && options.tls?.cert !== undefined;

  const attempt = (batch: EncodedBatch, { timeoutMs, signal }: SendOptions): Promise<SendResult & { staleSocket?: true }> =>
    new Promise((resolve) => {
      let timedOut = false;
      let settled = false;
      const finish = (result: SendResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onStop);
        resolve(result);
      };
      const fail = (error: unknown): void => {
        const context = { freshTlsConnectionWithClientCertificate: clientCertificate && !req.reusedSocket && !timedOut };
        // A kept-alive connection reset: usually the server closed it while idle, just as we
        // reused it. Tried once more on a new connection (a re-send is harmless: same key).
        const staleSocket = req.reusedSocket && !timedOut && !signal.aborted && (error as NodeJS.ErrnoException).code === 'ECONNRESET';
        finish({ kind: 'network', timedOut, ...describeNetworkError(error, context), ...(staleSocket ? { staleSocket } : {}) });
      };
      const req = request(target, {
        method: 'POST',
        agent,
        headers: { ...batch.headers, ...auth, 'content-length': String(batch.body.length) },
      });
      const abort = (reason: string): void => {
        req.destroy(new Error(reason));
      };
      const timer = setTimeout(() => {
        timedOut = true;
        abort(`no answer within ${timeoutMs} ms`);
      }, timeoutMs);
      const onStop = (): void => abort('the uplink is stopping');
      signal.addEventListener('abort', onStop, { once: true });
      req.on('error', fail);
      req.on('response', (response) => {
        // Both outcomes are handled here; the listener itself returns nothing to the emitter.
        void readAnswer(response).then(finish, fail);
      });
      if (signal.aborted) onStop();
      else req.end(batch.body);
    });

  return {
    async send(batch, options) {
      const { staleSocket, ...result } = await attempt(batch, options);
      if (staleSocket !== true) return result;
      const { staleSocket: _again, ...retried } = await attempt(batch, options);
      return retried;
    },
    close() {
      agent.destroy();
    },
  };
}

function readAnswer(response: IncomingMessage): Promise<SendResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
    });
    response.on('error', reject);
    response.on('end', () => {
      const retryAfter = response.headers['retry-after'];
      resolve({ kind: 'answer', status: response.statusCode ?? 0, retryAfter: retryAfter ?? null, body: Buffer.concat(chunks).toString('utf8') });
    });
    // A connection cut mid-answer ends without 'end': the batch may or may not be stored.
    response.on('close', () => {
      if (!response.complete) reject(new Error('the connection closed before the whole answer arrived'));
    });
  });
}
