/**
 * Reads the Kafka bus's secrets from where the config says they are. The value lives only in
 * the client options handed to the Kafka clients; errors name the file or variable, never the
 * value, and nothing here logs.
 */
import { readFileSync } from 'node:fs';
import { CloudError } from '../../errors.js';
import type { Secret } from './options.js';

export function readSecret(secret: Secret, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if ('value' in secret) return secret.value;
  if ('env' in secret) {
    const value = env[secret.env];
    if (value === undefined || value === '') {
      throw new CloudError('FW_BUS_CONFIG_INVALID', `kafka bus: ${what}: environment variable ${secret.env} is not set`);
    }
    return value;
  }
  try {
    // A trailing newline is the editor's, not the secret's.
    return readFileSync(secret.file, 'utf8').replace(/\r?\n$/, '');
  } catch (cause) {
    throw new CloudError('FW_BUS_CONFIG_INVALID', `kafka bus: ${what}: cannot read ${secret.file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
}
