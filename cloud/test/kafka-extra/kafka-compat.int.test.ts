import { inject } from 'vitest';
import { createKafkaBus } from '../../src/bus/kafka/index.js';
import { describeBusConformance } from '../support/bus-conformance.js';

// The older Kafka line (deploy/kafka/pom.xml, kafka.compat.version): the bus must keep serving it.
describeBusConformance(
  'kafka (compatibility broker)',
  (dependencies) => createKafkaBus({ kind: 'kafka', brokers: inject('kafkaCompatBrokers'), partitions: 3, replicationFactor: 1, retryInitialMs: 50 }, dependencies),
  { deliveryTimeoutMs: 30_000, quietMs: 1500 },
);
