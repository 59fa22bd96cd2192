import { afterEach, describe, expect, it, vi } from 'vitest';
import { runLoadCommand, runSimulateCommand } from '../cli.js';

describe('simulator commands', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('print their help and refuse bad arguments with exit code 2', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await runSimulateCommand(['--help'])).toBe(0);
    expect(out.mock.calls[0]?.[0]).toMatch(/Usage: fleetwire simulate/);
    expect(await runLoadCommand(['-h'])).toBe(0);
    expect(out.mock.calls[1]?.[0]).toMatch(/Usage: fleetwire loadgen/);
    expect(await runSimulateCommand(['--vehicles', 'many'])).toBe(2);
    expect(err.mock.calls.at(-1)?.[0]).toMatch(/--vehicles: expected an integer/);
    expect(await runSimulateCommand(['--faults', 'gremlins'])).toBe(2);
    expect(err.mock.calls.at(-1)?.[0]).toMatch(/unknown fault 'gremlins'/);
    expect(await runSimulateCommand(['--nope'])).toBe(2);
    expect(await runSimulateCommand(['--cloud', 'http://127.0.0.1:8080', '--booking-token', 'fwb1.booking.x'])).toBe(2);
    expect(err.mock.calls.at(-1)?.[0]).toMatch(/--cloud needs --booking-token and --payment-token/);
    expect(await runSimulateCommand(['--cloud', 'cloud here', '--booking-token', 'b', '--payment-token', 'p'])).toBe(2);
    expect(err.mock.calls.at(-1)?.[0]).toMatch(/--cloud: not a URL/);
    expect(await runLoadCommand(['--rate', '10'])).toBe(2);
    expect(err.mock.calls.at(-1)?.[0]).toMatch(/--url is required/);
  });
});
