import { describe, expect, it } from 'vitest';
import { configLoadedEntry } from './config-entry.js';

describe('the configuration kept in the audit trail', () => {
  it('replaces secrets whatever their shape: strings and { value } / { file } references', () => {
    const entry = configLoadedEntry(
      {
        auth: { nodes: [{ id: 'edge-1', token: 'fw1.edge-1.s3cr3t' }] },
        bus: {
          kafka: {
            brokers: ['kafka.example:9093'],
            sasl: { mechanism: 'scram-sha-512', username: 'fleetwire', password: { value: 'hunter2-kafka' } },
            tls: { keyPassphrase: { file: '/run/secrets/key-pass' } },
          },
        },
        tsdb: { url: 'https://user:pw@tsdb.example/api' },
      },
      0,
    );
    const text = JSON.stringify(entry.detail);
    for (const secret of ['s3cr3t', 'hunter2-kafka', '/run/secrets/key-pass', ':pw@']) expect(text).not.toContain(secret);
    expect(entry.detail).toMatchObject({
      config: {
        auth: { nodes: [{ id: 'edge-1', token: '[redacted]' }] },
        bus: { kafka: { sasl: { username: 'fleetwire', password: '[redacted]' }, tls: { keyPassphrase: '[redacted]' } } },
      },
    });
  });
});
