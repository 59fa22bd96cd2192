import type { TestProject } from 'vitest/node';
import { limitTopicCreation, readSecureCredentials, type SecureKafkaCredentials } from './kafka-secure.js';
import { createTestServers } from './servers.js';

/**
 * globalSetup of the `integration-kafka-extra` vitest project: the tests that need the
 * compatibility Kafka (the conformance suite on 3.9) or the SASL_SSL Kafka get them, started
 * here and only for that project (plus the everyday servers, shared with the other project).
 * Teardown releases them like every test server: an auto-started one stops when its last user
 * leaves.
 *
 *   inject('kafkaCompatBrokers')  ['127.0.0.1:19094']
 *   inject('kafkaSecure')         { brokers, caFile, otherCaFile, users: { scram256, scram512, plain, limited } }
 */
declare module 'vitest' {
  export interface ProvidedContext {
    kafkaCompatBrokers: string[];
    kafkaSecure: SecureKafkaCredentials & { brokers: string[] };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const testServers = createTestServers();
  const extra = testServers.servers.filter((server) => server.name === 'kafka-compat' || server.name === 'kafka-secure');
  await testServers.start({ mode: 'auto', asUser: true });
  try {
    await Promise.all(extra.map((server) => server.start({ mode: 'auto', asUser: true })));
  } catch (error) {
    await testServers.release().catch(() => undefined);
    throw error;
  }
  const { settings } = testServers;
  const addresses = testServers.addresses();
  const credentials = await readSecureCredentials(settings);
  await limitTopicCreation(`${settings.host}:${settings.kafkaSecureInternalPort}`, credentials.users.limited.username);
  project.provide('kafkaBrokers', addresses.kafkaBrokers);
  project.provide('victoriaMetricsUrl', addresses.victoriaMetricsUrl);
  project.provide('mqttUrl', addresses.mqttUrl);
  project.provide('kafkaCompatBrokers', [`${settings.host}:${settings.kafkaCompatPort}`]);
  project.provide('kafkaSecure', { ...credentials, brokers: [`${settings.host}:${settings.kafkaSecurePort}`] });
  return async () => {
    await testServers.release();
  };
}
