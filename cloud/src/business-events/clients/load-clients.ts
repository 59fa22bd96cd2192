/**
 * The client registry from inline clients plus the clients file, reloaded on SIGHUP and when the
 * file changes; a file that fails validation leaves the previous clients in force.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { watchRegistry, type WatchedRegistry } from '../../watched-registry.js';
import { readClientsFile, type ClientEntry } from './client-file.js';
import { createClientRegistry, type ClientRegistry } from './client-registry.js';

export interface LoadClientsOptions {
  file: string;
  inline: readonly ClientEntry[];
  reloadIntervalMs: number;
  logger: Logger;
}

export function loadClients({ file, inline, reloadIntervalMs, logger }: LoadClientsOptions): WatchedRegistry<ClientRegistry> {
  const watched = watchRegistry<ClientEntry, ClientRegistry>({
    file,
    read: () => [...inline, ...(existsSync(file) ? readClientsFile(file).clients : [])],
    create: createClientRegistry,
    replace: (registry, entries) => registry.replace(entries),
    reloadIntervalMs,
    logger,
    reloaded: (registry) => logger.info({ file, clients: registry.clientCount }, 'business_clients_reloaded'),
    failedEvent: 'business_clients_reload_failed',
  });
  if (watched.registry.clientCount === 0) logger.info({ file }, 'business_events_no_clients');
  return watched;
}
