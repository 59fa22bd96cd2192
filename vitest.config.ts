import { defineConfig } from 'vitest/config';

// Three projects: unit tests run without servers; integration tests (*.int.test.ts) get the
// real Kafka, VictoriaMetrics and Mosquitto that deploy/src/test-servers starts in globalSetup;
// the few that also need the compatibility Kafka (3.9) or the SASL_SSL Kafka live under
// cloud/test/kafka-extra/ and run last, in a project of their own that starts those brokers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{protocol,edge,cloud,simulators,deploy}/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{protocol,edge,cloud,simulators,deploy}/{src,test}/**/*.int.test.ts'],
          exclude: ['cloud/test/kafka-extra/**', '**/node_modules/**'],
          globalSetup: ['deploy/src/test-servers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // The servers are shared: one integration file at a time keeps their load predictable.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          name: 'integration-kafka-extra',
          include: ['cloud/test/kafka-extra/**/*.int.test.ts'],
          globalSetup: ['deploy/src/test-servers/global-setup-kafka-extra.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          // After the other projects: the shared servers are not loaded by two projects at once.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
