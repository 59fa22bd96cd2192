/**
 * The downlink: how commands reach an edge node that only dials out (NAT, firewalls, mobile
 * links). A long poll on the uplink's connection settings — the same URL, node token or client
 * certificate and CA:
 *
 *   GET {cloud.url}/v1/downlink/commands?after={cursor}&waitMs={waitMs}
 *
 * The cloud answers at once when it holds commands for this node after `cursor`, else when one
 * arrives, else with an empty list after `waitMs`. The edge stores what it got (and the new
 * cursor) in one transaction, hands the new commands to the executor and asks again at once.
 * Asking with the last stored cursor is the acknowledgement: the cloud hands a command out
 * again until the node asked past it, and the store ignores one it already has.
 * Failures back off exponentially with full jitter (as the uplink does).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DOWNLINK_COMMANDS_PATH, validateDownlinkAnswer, type DownlinkCommand } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import { backoffDelay } from '../uplink/backoff.js';
import type { UplinkTls } from '../uplink/tls.js';

export interface DownlinkOptions {
  url: string;
  /** '' = the client certificate authenticates the node. Never logged. */
  token: string;
  tls?: UplinkTls;
  /** How long the cloud may hold a poll open. */
  waitMs: number;
  cursor(): number;
  /** Stores the commands and moves the cursor; resolves once they are handled. */
  deliver(commands: readonly DownlinkCommand[]): Promise<void>;
  logger: Logger;
}

export interface Downlink {
  start(): void;
  stop(): Promise<void>;
}

const BACKOFF = { baseMs: 1000, maxMs: 30_000, authMs: 60_000, maxRetryAfterMs: 60_000 };
/** Time the network and the cloud get beyond the long poll itself before the edge gives up on an answer. */
const ANSWER_MARGIN_MS = 10_000;

type PollResult = { status: number; body: string } | { error: string };

export function createDownlink(options: DownlinkOptions): Downlink {
  const base = new URL(options.url);
  const secure = base.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ...options.tls }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const request = secure ? httpsRequest : httpRequest;
  const auth = options.token === '' ? {} : { authorization: `Bearer ${options.token}` };
  let abort = new AbortController();
  let loop: Promise<void> | undefined;

  const poll = (after: number): Promise<PollResult> =>
    new Promise((resolve) => {
      const target = new URL(`${options.url.replace(/\/$/, '')}${DOWNLINK_COMMANDS_PATH}`);
      target.searchParams.set('after', String(after));
      target.searchParams.set('waitMs', String(options.waitMs));
      const req = request(target, { method: 'GET', agent, headers: { ...auth, accept: 'application/json' }, signal: abort.signal, timeout: options.waitMs + ANSWER_MARGIN_MS });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${options.waitMs + ANSWER_MARGIN_MS} ms`)));
      req.on('error', (error) => resolve({ error: error.message }));
      req.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => resolve({ error: error.message }));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end();
    });

  async function run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const result = await poll(options.cursor());
      if (signal.aborted) return;
      const commands = 'error' in result ? undefined : readAnswer(result);
      if (commands === undefined) {
        failures += 1;
        const waitMs = backoffDelay(failures, BACKOFF, Math.random);
        options.logger.warn({ event: 'downlink_poll_failed', ...('error' in result ? { error: result.error } : { status: result.status }), failures, waitMs }, 'downlink_poll_failed');
        await sleep(waitMs, signal);
        continue;
      }
      failures = 0;
      if (commands.length > 0) {
        options.logger.info({ event: 'downlink_commands', count: commands.length, commandIds: commands.map((c) => c.commandId) }, 'downlink_commands');
        try {
          await options.deliver(commands);
        } catch (error) {
          // Not stored, so the cursor did not move: the same commands come again.
          failures += 1;
          options.logger.error({ event: 'downlink_commands_not_stored', err: error }, 'downlink_commands_not_stored');
          await sleep(backoffDelay(failures, BACKOFF, Math.random), signal);
        }
      }
    }
  }

  return {
    start() {
      if (loop !== undefined) return;
      abort = new AbortController();
      const { signal } = abort;
      loop = run(signal).catch((error: unknown) => options.logger.error({ event: 'downlink_stopped_on_error', err: error }, 'downlink_stopped_on_error'));
      options.logger.info({ event: 'downlink_started', url: base.origin, waitMs: options.waitMs }, 'downlink_started');
    },
    async stop() {
      abort.abort();
      await loop;
      loop = undefined;
      agent.destroy();
    },
  };
}

function readAnswer(result: { status: number; body: string }): DownlinkCommand[] | undefined {
  if (result.status !== 200) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(result.body);
  } catch {
    return undefined;
  }
  const verdict = validateDownlinkAnswer(value);
  return verdict.ok ? verdict.value.commands : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
