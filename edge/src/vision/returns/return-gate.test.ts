import { describe, expect, it } from 'vitest';
import { createReturnGate } from './return-gate.js';

describe('return gate', () => {
  it('lets maxActive returns in, queues maxWaiting more in order, turns the rest away', async () => {
    const gate = createReturnGate({ maxActive: 1, maxWaiting: 1 });
    const releaseA = await gate.enter('A');
    const order: string[] = [];
    const b = gate.enter('B').then((release) => {
      order.push('B');
      return release;
    });
    expect([gate.active, gate.waiting]).toEqual([1, 1]);
    await expect(gate.enter('C')).rejects.toMatchObject({ code: 'FW_VISION_OVERLOADED', canRetry: true });
    releaseA();
    releaseA();
    const releaseB = await b;
    expect(order).toEqual(['B']);
    expect([gate.active, gate.waiting]).toEqual([1, 0]);
    releaseB();
    expect(gate.active).toBe(0);
  });

  it('refuses a second upload of a return already inside or waiting, and takes it again once released', async () => {
    const gate = createReturnGate({ maxActive: 2, maxWaiting: 2 });
    const release = await gate.enter('A');
    await expect(gate.enter('A')).rejects.toMatchObject({ code: 'FW_VISION_RETURN_BUSY' });
    release();
    const again = await gate.enter('A');
    again();
  });
});
