import { defineConfig } from 'vitest/config';

// Every workspace package keeps its tests in one layout: unit tests beside the code they test
// (`src/**/*.test.ts`), integration tests in `test/` (`test/**/*.int.test.ts`), shared test
// support in `test/support/`.
const PACKAGES = '{protocol,edge,cloud,simulators,deploy,deploy/test-servers}';

// Three projects: unit tests run without servers; integration tests (*.int.test.ts) get the
// real Kafka, VictoriaMetrics and Mosquitto that @fleetwire/test-servers starts in globalSetup;
// the few that also need the compatibility Kafka (3.9) or the SASL_SSL Kafka live under
// cloud/test/kafka-extra/ and run last, in a project of their own that starts those brokers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // deploy/test also holds unit checks of the shipped files (chart, compose, container file).
          include: [`${PACKAGES}/src/**/*.test.ts`, 'deploy/test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: [`${PACKAGES}/test/**/*.int.test.ts`],
          exclude: ['cloud/test/kafka-extra/**', '**/node_modules/**'],
          globalSetup: ['deploy/test-servers/src/global-setup.ts'],
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
          globalSetup: ['deploy/test-servers/src/global-setup-kafka-extra.ts'],
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
