/**
 * The device registry, live: the file is watched (and re-read on SIGHUP, wired in main.ts), and
 * a new version replaces the old one only when it is valid as a whole — a half-written or broken
 * file leaves the old registry serving, with the problems logged. After a replacement the
 * devices that were removed or changed (`staleDevices`) are handed to `onReplaced`, whose job is
 * to end their connections; every other connection stays up.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { loadDeviceRegistry, staleDevices, type DeviceRegistry } from './device-registry.js';

export interface LiveRegistryOptions {
  file: string;
  /** Watch the file for changes (else only `reload()`, e.g. on SIGHUP). */
  watch: boolean;
  logger: Logger;
  onReplaced(stale: ReadonlySet<string>, registry: DeviceRegistry): void;
  /** Coalesces the bursts of events an editor's save produces. Default 200 ms. */
  debounceMs?: number;
}

export interface LiveRegistry extends DeviceRegistry {
  /** Reads the file again; false when it was not valid (the old registry stays). */
  reload(): boolean;
  close(): void;
}

export function createLiveRegistry(options: LiveRegistryOptions): LiveRegistry {
  const { file, logger } = options;
  let current = loadDeviceRegistry(file);
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;

  function reload(): boolean {
    let next: DeviceRegistry;
    try {
      next = loadDeviceRegistry(file);
    } catch (error) {
      logger.error({ event: 'device_registry_reload_failed', file, err: error }, 'device_registry_reload_failed');
      return false;
    }
    const stale = staleDevices(current, next);
    current = next;
    logger.info({ event: 'device_registry_reloaded', file, devices: next.size, stale: [...stale] }, 'device_registry_reloaded');
    options.onReplaced(stale, next);
    return true;
  }

  if (options.watch) {
    // The folder, not the file: editors and config tools replace a file by renaming a new one over it.
    watcher = watch(dirname(file), (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      clearTimeout(timer);
      timer = setTimeout(reload, options.debounceMs ?? 200);
    });
    watcher.on('error', (error) => logger.error({ event: 'device_registry_watch_failed', file, err: error }, 'device_registry_watch_failed'));
  }

  return {
    get: (id) => current.get(id),
    get size() {
      return current.size;
    },
    entries: () => current.entries(),
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
