/**
 * Password logins under attack (MQTT CONNECT and OCPP basic auth alike). Around the scrypt check:
 *
 * 1. a device that logged in recently with the same password passes with one HMAC
 *    (recent-logins.ts), before any budget is looked at — a flood against its id cannot lock it out;
 * 2. a source address or a device id over its failure budget is refused at once, before any
 *    scrypt work (failure-backoff.ts); a source that keeps trying while closed stays closed;
 * 3. scrypt runs with bounded concurrency behind a bounded queue (work-gate.ts); a full queue
 *    refuses with "server unavailable", and a queued check whose key closed meanwhile is dropped.
 *
 * Certificate logins do no password work and pass through unchanged.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { authenticateDevice, refuse, SERVER_UNAVAILABLE, type AuthDecision, type ConnectAttempt, type PasswordVerifier } from './authenticate.js';
import type { DeviceRegistry } from './device-registry.js';
import { createFailureBackoff } from './failure-backoff.js';
import { verifyPassword } from './password-hash.js';
import { createRecentLogins } from './recent-logins.js';
import { createWorkGate, GateFullError } from './work-gate.js';

export interface LoginSettings {
  /** Failed logins a source address may make before it backs off. */
  sourceFreeFailures: number;
  /** Failed logins for one device id before it backs off. */
  deviceFreeFailures: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** scrypt checks running at once, and waiting. */
  maxConcurrentChecks: number;
  maxQueuedChecks: number;
  /** How long a successful login lets the same device and password back in without scrypt (0 = never). */
  recentLoginTtlMs: number;
}

export interface LoginGuard {
  /** `source`: the peer's address (the backoff key of the connection's origin). */
  authenticate(registry: DeviceRegistry, attempt: ConnectAttempt, source: string): Promise<AuthDecision>;
}

/** Failures that say the caller does not hold a credential (not: missing fields, wrong client id). */
const CREDENTIAL_FAILURES = new Set<string>(['bad_password', 'unknown_device']);
const MAX_KEYS = 10_000;

class Closed extends Error {
  constructor(readonly scope: 'source' | 'device') {
    super(`${scope} over its failed-login budget`);
  }
}

export interface LoginGuardDeps {
  now?: () => number;
  /** The full password check; default scrypt (password-hash.ts). */
  scrypt?: (password: Buffer, stored: string) => Promise<boolean>;
}

export function createLoginGuard(settings: LoginSettings, registry: Registry, deps: LoginGuardDeps = {}): LoginGuard {
  const { now = Date.now, scrypt = verifyPassword } = deps;
  const backoff = { baseMs: settings.baseBackoffMs, maxMs: settings.maxBackoffMs, maxKeys: MAX_KEYS };
  const sources = createFailureBackoff({ ...backoff, freeFailures: settings.sourceFreeFailures });
  const devices = createFailureBackoff({ ...backoff, freeFailures: settings.deviceFreeFailures });
  const gate = createWorkGate({ concurrency: settings.maxConcurrentChecks, maxQueued: settings.maxQueuedChecks });
  const recent = createRecentLogins({ ttlMs: settings.recentLoginTtlMs, maxEntries: MAX_KEYS });

  const throttled = new Counter({ name: 'fleetwire_intake_auth_throttled_total', help: 'Logins refused before any password work because the source address or the device id was over its failure budget, by scope', labelNames: ['scope'], registers: [registry] });
  const fast = new Counter({ name: 'fleetwire_intake_auth_recent_logins_total', help: 'Logins let in by a recent successful login of the same device and password (one HMAC, no scrypt)', registers: [registry] });
  new Gauge({
    name: 'fleetwire_intake_auth_closed_keys',
    help: 'Source addresses and device ids currently backing off after failed logins, by scope',
    labelNames: ['scope'],
    registers: [registry],
    collect() {
      const at = now();
      this.set({ scope: 'source' }, sources.closedCount(at));
      this.set({ scope: 'device' }, devices.closedCount(at));
    },
  });
  new Gauge({
    name: 'fleetwire_intake_auth_checks',
    help: 'Password checks (scrypt) running and queued',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'running' }, gate.running);
      this.set({ state: 'queued' }, gate.queued);
    },
  });

  function assertOpen(source: string, deviceId: string): void {
    const at = now();
    if (sources.closedUntil(source, at) !== undefined) {
      // Hammering while closed keeps the source closed.
      sources.failed(source, at);
      throw new Closed('source');
    }
    if (devices.closedUntil(deviceId, at) !== undefined) throw new Closed('device');
  }

  return {
    async authenticate(deviceRegistry, attempt, source) {
      const verify: PasswordVerifier = async (deviceId, password, stored) => {
        if (settings.recentLoginTtlMs > 0 && recent.matches(deviceId, password, stored, now())) {
          fast.inc();
          return true;
        }
        assertOpen(source, deviceId);
        const verified = await gate.run(() => {
          // Checked again: the key may have closed while this check waited in the queue.
          assertOpen(source, deviceId);
          return scrypt(password, stored);
        });
        if (verified && settings.recentLoginTtlMs > 0) recent.remember(deviceId, password, stored, now());
        return verified;
      };
      let decision: AuthDecision;
      try {
        decision = await authenticateDevice(deviceRegistry, attempt, verify);
      } catch (error) {
        if (error instanceof Closed) {
          throttled.inc({ scope: error.scope });
          return refuse('throttled');
        }
        if (error instanceof GateFullError) return refuse('busy', SERVER_UNAVAILABLE);
        throw error;
      }
      if (decision.ok) {
        if (decision.method === 'password') devices.succeeded(decision.identity.deviceId);
      } else if (CREDENTIAL_FAILURES.has(decision.reason)) {
        const at = now();
        sources.failed(source, at);
        if (attempt.username) devices.failed(attempt.username, at);
      }
      return decision;
    },
  };
}
