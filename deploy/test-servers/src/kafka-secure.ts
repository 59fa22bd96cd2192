/**
 * The SASL_SSL test broker: the default Kafka version with one SASL_SSL client listener and a
 * plaintext listener of its own for the broker (and the readiness probe), on loopback. Made fresh
 * at every start, in the server's folder:
 *   tls/ca.pem           a private CA made here with openssl; it signed the broker's certificate
 *                        (CN localhost, SAN IP 127.0.0.1 and DNS localhost)
 *   tls/other-ca.pem     a CA that signed nothing the broker has: a client trusting only it must fail
 *   credentials.json     users and random passwords (mode 600):
 *                        SCRAM-SHA-256, SCRAM-SHA-512 (created with Kafka's own StorageTool
 *                        `--add-scram`), PLAIN (the listener's JAAS config), and `limited`, a
 *                        SCRAM-SHA-256 user that may not create topics (ACLs: `kafka-secure-acls.ts`)
 * Integration tests get the address, the CA file and the credentials through vitest's inject.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { TestServerError } from './errors.js';
import { kafkaVersion } from './kafka-jars.js';
import { createKafkaServer } from './kafka.js';
import type { ServerContext, ServerDefinition } from './server.js';
import type { TestServerSettings } from './settings.js';

const run = promisify(execFile);
// kafkajs is CommonJS and Node's ESM loader does not see these among its named exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } = kafkajs;

export interface SecureKafkaUser {
  mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain';
  username: string;
  password: string;
}

export interface SecureKafkaCredentials {
  /** PEM of the CA that signed the broker certificate. */
  caFile: string;
  /** PEM of a CA that did not. */
  otherCaFile: string;
  users: { scram256: SecureKafkaUser; scram512: SecureKafkaUser; plain: SecureKafkaUser; limited: SecureKafkaUser };
}

const password = (): string => randomBytes(18).toString('base64url');

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 60_000 });
  } catch (error) {
    const failed = error as { stderr?: string };
    throw new TestServerError('FW_TEST_SERVER_START_FAILED', `kafka-secure: openssl ${args[0]} failed: ${failed.stderr ?? String(error)}`, { cause: error });
  }
}

/** A CA, a broker key and certificate signed by it, a PKCS#12 keystore for the JVM, and a CA that signed nothing. */
async function makeCertificates(dir: string, storePassword: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const days = '2';
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', days, '-subj', '/CN=fleetwire test CA'], dir);
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', days, '-subj', '/CN=fleetwire other CA'], dir);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost'], dir);
  await writeFile(join(dir, 'broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await openssl(['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem', '-days', days, '-extfile', 'broker.ext'], dir);
  await openssl(['pkcs12', '-export', '-in', 'broker.pem', '-inkey', 'broker.key', '-certfile', 'ca.pem', '-name', 'broker', '-out', 'broker.p12', '-passout', `pass:${storePassword}`], dir);
}

export function credentialsFile(settings: TestServerSettings): string {
  return join(settings.runDir, 'kafka-secure', 'credentials.json');
}

export async function readSecureCredentials(settings: TestServerSettings): Promise<SecureKafkaCredentials> {
  return JSON.parse(await readFile(credentialsFile(settings), 'utf8')) as SecureKafkaCredentials;
}

async function secure(context: ServerContext) {
  const { settings, dir } = context;
  const tls = join(dir, 'tls');
  const storePassword = password();
  await makeCertificates(tls, storePassword);
  const credentials: SecureKafkaCredentials = {
    caFile: join(tls, 'ca.pem'),
    otherCaFile: join(tls, 'other-ca.pem'),
    users: {
      scram256: { mechanism: 'scram-sha-256', username: 'fw-scram256', password: password() },
      scram512: { mechanism: 'scram-sha-512', username: 'fw-scram512', password: password() },
      plain: { mechanism: 'plain', username: 'fw-plain', password: password() },
      limited: { mechanism: 'scram-sha-256', username: 'fw-limited', password: password() },
    },
  };
  await writeFile(credentialsFile(settings), `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  const { scram256, scram512, plain, limited } = credentials.users;
  const host = settings.host;
  const superUsers = ['ANONYMOUS', scram256.username, scram512.username, plain.username].map((u) => `User:${u}`).join(';');
  return {
    listeners: {
      listeners: `SASL_SSL://${host}:${settings.kafkaSecurePort},INTERNAL://${host}:${settings.kafkaSecureInternalPort}`,
      advertised: `SASL_SSL://${host}:${settings.kafkaSecurePort},INTERNAL://${host}:${settings.kafkaSecureInternalPort}`,
      protocolMap: 'SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT',
      interBroker: 'INTERNAL',
      extra: {
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'listener.name.sasl_ssl.plain.sasl.jaas.config':
          `org.apache.kafka.common.security.plain.PlainLoginModule required user_${plain.username}="${plain.password}";`,
        'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': join(tls, 'broker.p12'),
        'ssl.keystore.password': storePassword,
        'ssl.key.password': storePassword,
        'ssl.client.auth': 'none',
        // ACLs, so that one user can be refused the right to create topics; everyone else is a super user.
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': superUsers,
        'allow.everyone.if.no.acl.found': true,
      },
    },
    formatArgs: [
      '--add-scram', `SCRAM-SHA-256=[name=${scram256.username},password=${scram256.password}]`,
      '--add-scram', `SCRAM-SHA-512=[name=${scram512.username},password=${scram512.password}]`,
      '--add-scram', `SCRAM-SHA-256=[name=${limited.username},password=${limited.password}]`,
    ],
  };
}

/** Started on demand, for the TLS and SASL tests only. */
export const kafkaSecureServer: ServerDefinition = createKafkaServer({
  name: 'kafka-secure',
  version: () => kafkaVersion(),
  clientPort: (settings) => settings.kafkaSecurePort,
  controllerPort: (settings) => settings.kafkaSecureControllerPort,
  ports: (settings) => [settings.kafkaSecurePort, settings.kafkaSecureControllerPort, settings.kafkaSecureInternalPort],
  probePort: (settings) => settings.kafkaSecureInternalPort,
  secure,
  hint: 'openssl, free ports (FLEETWIRE_KAFKA_SECURE_PORT, FLEETWIRE_KAFKA_SECURE_CONTROLLER_PORT, FLEETWIRE_KAFKA_SECURE_INTERNAL_PORT)',
});

/** The `limited` user may do everything but create topics: a DENY on CREATE for the cluster and every topic. */
export async function limitTopicCreation(internalBroker: string, username: string): Promise<void> {
  const admin = new Kafka({ clientId: 'fleetwire-test-servers', brokers: [internalBroker], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const principal = `User:${username}`;
    const acl = { principal, host: '*', resourcePatternType: ResourcePatternTypes.LITERAL };
    await admin.createAcls({
      acl: [
        { ...acl, resourceType: AclResourceTypes.CLUSTER, resourceName: 'kafka-cluster', operation: AclOperationTypes.CREATE, permissionType: AclPermissionTypes.DENY },
        { ...acl, resourceType: AclResourceTypes.TOPIC, resourceName: '*', operation: AclOperationTypes.CREATE, permissionType: AclPermissionTypes.DENY },
        { ...acl, resourceType: AclResourceTypes.TOPIC, resourceName: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW },
        { ...acl, resourceType: AclResourceTypes.GROUP, resourceName: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW },
        { ...acl, resourceType: AclResourceTypes.CLUSTER, resourceName: 'kafka-cluster', operation: AclOperationTypes.IDEMPOTENT_WRITE, permissionType: AclPermissionTypes.ALLOW },
        { ...acl, resourceType: AclResourceTypes.CLUSTER, resourceName: 'kafka-cluster', operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.ALLOW },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

