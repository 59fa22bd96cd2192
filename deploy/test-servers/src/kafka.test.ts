import { describe, expect, it } from 'vitest';
import { kafkaServerProperties, randomClusterId } from './kafka.js';

function parse(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

describe('kafkaServerProperties', () => {
  const properties = parse(kafkaServerProperties({ host: '127.0.0.1', port: 29092, controllerPort: 29093, dataDir: '/tmp/run/kafka/data' }));

  it('runs one combined KRaft node on loopback with the given ports', () => {
    expect(properties['process.roles']).toBe('broker,controller');
    expect(properties['controller.quorum.voters']).toBe('1@127.0.0.1:29093');
    expect(properties.listeners).toBe('PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093');
    expect(properties['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:29092');
    expect(properties['log.dirs']).toBe('/tmp/run/kafka/data');
  });

  it('needs no more than the one replica it has', () => {
    for (const key of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
      'min.insync.replicas',
      'default.replication.factor',
    ]) {
      expect(properties[key], key).toBe('1');
    }
    expect(properties['auto.create.topics.enable']).toBe('true');
    expect(properties['group.initial.rebalance.delay.ms']).toBe('0');
  });
});

describe('randomClusterId', () => {
  it('gives 22-character base64url ids that never start with a dash', () => {
    const ids = Array.from({ length: 200 }, randomClusterId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
