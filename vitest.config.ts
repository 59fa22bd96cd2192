import { defineConfig } from 'vitest/config';

// Two projects: unit tests run without servers; integration tests (*.int.test.ts) get the
// real Kafka, VictoriaMetrics and Mosquitto that deploy/src/test-servers starts in globalSetup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{protocol,edge,cloud,simulators,deploy}/src/**/*.test.ts', 'deploy/test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{protocol,edge,cloud,simulators,deploy}/{src,test}/**/*.int.test.ts'],
          globalSetup: ['deploy/src/test-servers/global-setup.ts'],
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
