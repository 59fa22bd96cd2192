/**
 * A registry read from a file that operators edit while the cloud runs (the edge nodes' auth
 * file, the business clients file): re-read when the file changes and on SIGHUP. A file that
 * cannot be read or parsed leaves the previous entries in force, so a typo never locks every
 * caller out.
 */
import type { Logger } from 'pino';
import { watchAuthFile } from './ingest/auth/auth-file.js';

export interface WatchedRegistry<R> {
  registry: R;
  stop(): void;
}

export interface WatchedRegistryOptions<E, R> {
  file: string;
  read(): E[];
  create(entries: E[]): R;
  replace(registry: R, entries: E[]): void;
  reloadIntervalMs: number;
  logger: Logger;
  /** Logs a successful reload (its event names the registry). */
  reloaded(registry: R): void;
  /** The log event of a reload that failed. */
  failedEvent: string;
}

export function watchRegistry<E, R>(options: WatchedRegistryOptions<E, R>): WatchedRegistry<R> {
  const { file, logger } = options;
  const registry = options.create(options.read());
  const reload = (): void => {
    try {
      options.replace(registry, options.read());
      options.reloaded(registry);
    } catch (error) {
      logger.error({ err: error, file }, options.failedEvent);
    }
  };
  const watch = watchAuthFile(file, options.reloadIntervalMs, reload);
  process.on('SIGHUP', reload);
  return {
    registry,
    stop() {
      watch.stop();
      process.off('SIGHUP', reload);
    },
  };
}
