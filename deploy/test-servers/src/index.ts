/**
 * @fleetwire/test-servers — the real servers that integration tests and benchmarks run against
 * (Kafka, VictoriaMetrics, Mosquitto, and the Debian tools beside them), started on loopback by
 * this package's own scripts. Tooling, not product: only tests, benchmarks and the
 * `fleetwire test-servers` command import it. The vitest globalSetup is the `./global-setup`
 * subpath; a throwaway certificate authority for TLS tests is `./certificates`.
 */
export { runTestServersCommand } from './cli.js';
export { createTestServers, type TestServers, type TestServerAddresses, type TestServersOptions } from './servers.js';
export { startBenchBroker, startBenchVictoriaMetrics, type BenchBroker, type BenchServer } from './bench-servers.js';
export { TestServerError, TEST_SERVER_ERROR_CODES, type TestServerErrorCode } from './errors.js';
export { findProgram } from './debian-packages.js';
