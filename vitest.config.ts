import { defineConfig } from 'vitest/config';

// Every workspace package keeps its tests in one layout: unit tests beside the code they test
// (`src/**/*.test.ts`), integration tests in `test/` (`test/**/*.int.test.ts`), shared test
// support in `test/support/`.
const PACKAGES = '{protocol,edge,cloud,simulators,deploy,deploy/test-servers}';

// Two projects: unit tests run without servers; integration tests (*.int.test.ts) get the
// real Kafka, VictoriaMetrics and Mosquitto that @fleetwire/test-servers starts in globalSetup.
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
          // `src/` too until the bus's Kafka test (cloud/src/bus/kafka) has moved to cloud/test.
          include: [`${PACKAGES}/{src,test}/**/*.int.test.ts`],
          exclude: ['**/node_modules/**'],
          globalSetup: ['deploy/test-servers/src/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // The servers are shared: one integration file at a time keeps their load predictable.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
