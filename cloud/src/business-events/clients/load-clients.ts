/**
 * The client registry from inline clients plus the clients file, reloaded on SIGHUP and when the
 * file changes; a file that fails validation leaves the previous clients in force.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { watchAuthFile } from '../../ingest/auth/auth-file.js';
import { readClientsFile, type ClientEntry } from './client-file.js';
import { createClientRegistry, type ClientRegistry } from './client-registry.js';

export interface LoadClientsOptions {
  file: string;
  inline: readonly ClientEntry[];
  reloadIntervalMs: number;
  logger: Logger;
}

export function loadClients({ file, inline, reloadIntervalMs, logger }: LoadClientsOptions): { registry: ClientRegistry; stop(): void } {
  const read = (): ClientEntry[] => [...inline, ...(existsSync(file) ? readClientsFile(file).clients : [])];
  const registry = createClientRegistry(read());
  if (registry.clientCount === 0) logger.info({ file }, 'business_events_no_clients');
  const reload = (): void => {
    try {
      registry.replace(read());
      logger.info({ file, clients: registry.clientCount }, 'business_clients_reloaded');
    } catch (error) {
      logger.error({ err: error, file }, 'business_clients_reload_failed');
    }
  };
  const watch = watchAuthFile(file, reloadIntervalMs, reload);
  process.on('SIGHUP', reload);
  return {
    registry,
    stop() {
      watch.stop();
      process.off('SIGHUP', reload);
    },
  };
}
