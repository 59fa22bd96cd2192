import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDeviceRegistry } from './device-registry.js';
import { closureMs, createFailureBackoff } from './failure-backoff.js';
import { createLoginGuard, type LoginSettings } from './login-guard.js';
import { createWorkGate, GateFullError } from './work-gate.js';

const SETTINGS: LoginSettings = { sourceFreeFailures: 2, deviceFreeFailures: 3, baseBackoffMs: 1_000, maxBackoffMs: 8_000, maxConcurrentChecks: 1, maxQueuedChecks: 2, recentLoginTtlMs: 60_000 };
const STORED = `scrypt$16384$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(32, 2).toString('base64')}`;
const devices = createDeviceRegistry({ devices: [{ id: 'VH-0001', kind: 'vehicle', passwordHash: STORED }, { id: 'VH-0002', kind: 'vehicle', passwordHash: STORED }] });

/** A guard on a hand-moved clock whose "scrypt" counts its calls and accepts the password "right". */
function guardWith(settings = SETTINGS, scryptDelay?: Promise<void>) {
  let now = 1_000_000;
  const scryptCalls: string[] = [];
  const guard = createLoginGuard(settings, new Registry(), {
    now: () => now,
    scrypt: async (password) => {
      scryptCalls.push(password.toString());
      await scryptDelay;
      return password.toString() === 'right';
    },
  });
  const login = async (deviceId: string, password: string, source = '10.0.0.1') => {
    const decision = await guard.authenticate(devices, { clientId: deviceId, username: deviceId, password: Buffer.from(password) }, source);
    return decision.ok ? 'ok' : decision.reason;
  };
  return { login, scryptCalls, advance: (ms: number) => void (now += ms) };
}

describe('failure backoff', () => {
  it('doubles the closure after the free failures, bounded, and forgets a key after a success or a long quiet', () => {
    const policy = { freeFailures: 2, baseMs: 1_000, maxMs: 8_000, maxKeys: 3 };
    expect([1, 2, 3, 4, 5, 9].map((over) => closureMs(policy, over))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    const backoff = createFailureBackoff(policy);
    backoff.failed('a', 0);
    backoff.failed('a', 0);
    expect(backoff.closedUntil('a', 0)).toBeUndefined();
    backoff.failed('a', 0);
    expect([backoff.closedUntil('a', 999), backoff.closedUntil('a', 1_000)]).toEqual([1_000, undefined]);
    backoff.failed('a', 1_000);
    expect(backoff.closedUntil('a', 1_000)).toBe(3_000);
    backoff.succeeded('a');
    expect(backoff.closedUntil('a', 1_000)).toBeUndefined();
    // Bounded: a fourth key pushes out the stalest.
    for (const key of ['k1', 'k2', 'k3', 'k4']) for (let i = 0; i < 3; i += 1) backoff.failed(key, 0);
    expect(['k1', 'k2', 'k3', 'k4'].map((key) => backoff.closedUntil(key, 1) !== undefined)).toEqual([false, true, true, true]);
    expect(backoff.closedCount(1)).toBe(3);
    expect(backoff.closedUntil('k4', 16_001)).toBeUndefined();
  });
});

describe('work gate', () => {
  it('runs at most `concurrency` at once, queues at most `maxQueued`, and refuses beyond', async () => {
    const gate = createWorkGate({ concurrency: 1, maxQueued: 1 });
    let release = (): void => undefined;
    const first = gate.run(() => new Promise<string>((resolve) => (release = () => resolve('first'))));
    const second = gate.run(async () => 'second');
    await expect(gate.run(async () => 'third')).rejects.toBeInstanceOf(GateFullError);
    expect([gate.running, gate.queued]).toEqual([1, 1]);
    release();
    expect(await Promise.all([first, second])).toEqual(['first', 'second']);
    expect([gate.running, gate.queued]).toEqual([0, 0]);
  });
});

describe('login guard', () => {
  it('refuses a source over its budget without scrypt, and backs off exponentially while it keeps trying', async () => {
    const { login, scryptCalls, advance } = guardWith();
    expect([await login('VH-0001', 'w1'), await login('VH-0001', 'w2'), await login('VH-0002', 'w3')]).toEqual(['bad_password', 'bad_password', 'bad_password']);
    expect(await login('VH-0002', 'w4')).toBe('throttled');
    expect(scryptCalls).toEqual(['w1', 'w2', 'w3']);
    // Each try while closed extends the closure (1 s, then 2 s, …): after 1.5 s it is still closed.
    advance(1_500);
    expect(await login('VH-0002', 'w5')).toBe('throttled');
    expect(scryptCalls).toHaveLength(3);
    // Another source is not held back by this one.
    expect(await login('VH-0002', 'right', '10.0.0.2')).toBe('ok');
    advance(9_000);
    expect(await login('VH-0002', 'right')).toBe('ok');
  });

  it('closes a device id attacked from many sources, but lets that device in with the password it used recently, with no scrypt', async () => {
    const { login, scryptCalls } = guardWith();
    expect(await login('VH-0001', 'right', '10.0.0.9')).toBe('ok');
    for (let i = 0; i < 4; i += 1) expect(await login('VH-0001', `w${i}`, `10.0.1.${i}`)).toBe('bad_password');
    expect(await login('VH-0001', 'w9', '10.0.2.1')).toBe('throttled');
    expect(scryptCalls).toHaveLength(5);
    expect(await login('VH-0001', 'right', '10.0.0.9')).toBe('ok');
    expect(scryptCalls).toHaveLength(5);
  });

  it('forgets a recent login once it expires, and refuses with busy when the queue of checks is full', async () => {
    const { login, scryptCalls, advance } = guardWith({ ...SETTINGS, recentLoginTtlMs: 1_000 });
    expect(await login('VH-0001', 'right')).toBe('ok');
    advance(1_001);
    expect(await login('VH-0001', 'right')).toBe('ok');
    expect(scryptCalls).toHaveLength(2);

    let release = (): void => undefined;
    const slow = guardWith(SETTINGS, new Promise<void>((resolve) => (release = resolve)));
    const pending = [slow.login('VH-0001', 'right', 'a'), slow.login('VH-0002', 'right', 'b'), slow.login('VH-0002', 'right', 'c')];
    expect(await slow.login('VH-0002', 'right', 'd')).toBe('busy');
    release();
    expect(await Promise.all(pending)).toEqual(['ok', 'ok', 'ok']);
  });
});
