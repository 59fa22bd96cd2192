import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { findProgram } from './debian-packages.js';
import { isPortOpen } from './process.js';
import type { ServerContext, ServerDefinition } from './server.js';
import type { TestServerSettings } from './settings.js';

/**
 * Mosquitto from Debian's package with our own config — not the system service, which the
 * package may have enabled on port 1883. Loopback only, anonymous, nothing persisted.
 */
export function mosquittoConfig(host: string, port: number): string {
  return [
    '# fleetwire test broker: written by @fleetwire/test-servers, rewritten on every start',
    `listener ${port} ${host}`,
    'allow_anonymous true',
    'persistence false',
    // stderr is unbuffered; stdout would reach the log file only at exit, too late to explain a failed start.
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    // Health checks connect every few hundred ms while starting; their connect lines are noise.
    'connection_messages false',
    '',
  ].join('\n');
}

function url(settings: TestServerSettings): string {
  return `mqtt://${settings.host}:${settings.mqttPort}`;
}

async function prepare(context: ServerContext) {
  await mkdir(context.dir, { recursive: true });
  const config = join(context.dir, 'mosquitto.conf');
  await writeFile(config, mosquittoConfig(context.settings.host, context.settings.mqttPort));
  return { command: findProgram('mosquitto') ?? 'mosquitto', args: ['-c', config], cwd: context.dir };
}

/** Ready once a client can connect and get a QoS 1 publish acknowledged. */
async function probe(settings: TestServerSettings): Promise<boolean> {
  if (!(await isPortOpen(settings.host, settings.mqttPort))) return false;
  const client = await connectAsync(url(settings), {
    clientId: `fleetwire-test-servers-${process.pid}`,
    connectTimeout: 3_000,
    reconnectPeriod: 0,
  });
  try {
    await client.publishAsync('fleetwire/test-servers/health', 'ok', { qos: 1 });
    return true;
  } finally {
    await client.endAsync();
  }
}

export const mosquittoServer: ServerDefinition = {
  name: 'mosquitto',
  debianPrograms: [
    { program: 'mosquitto', debianPackage: 'mosquitto' },
    { program: 'mosquitto_pub', debianPackage: 'mosquitto-clients' },
    { program: 'mosquitto_sub', debianPackage: 'mosquitto-clients' },
  ],
  ports: (settings) => [settings.mqttPort],
  address: url,
  prepare,
  probe,
  readyTimeoutMs: 20_000,
  stopGraceMs: 5_000,
  hint: '`mosquitto -h` (Debian package mosquitto), a free FLEETWIRE_MQTT_PORT, and the config in the run folder',
};
