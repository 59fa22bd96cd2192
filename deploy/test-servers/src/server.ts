import type { DebianProgram } from './debian-packages.js';
import type { LaunchPlan } from './process.js';
import type { TestServerSettings } from './settings.js';

export type ServerName = 'kafka' | 'kafka-compat' | 'kafka-secure' | 'victoria-metrics' | 'mosquitto';

/** What a server's definition gets to work with. */
export interface ServerContext {
  settings: TestServerSettings;
  /** This server's folder in the run folder: configs, log, state and data. Its path is in the server's command line. */
  dir: string;
  progress: (line: string) => void;
}

/**
 * One real server used by the integration tests. A definition only knows how its server is
 * installed, configured, launched and checked; starting, reuse, locking and stopping are the
 * same for all of them (managed-server.ts).
 */
export interface ServerDefinition {
  name: ServerName;
  /** Programs that must be on PATH, with the Debian package shipping each. */
  debianPrograms: readonly DebianProgram[];
  /** Fetches what Debian does not ship (Kafka's jars); fast when already there. */
  fetch?(context: ServerContext): Promise<void>;
  /** Every port it listens on; all must be free before a fresh start. */
  ports(settings: TestServerSettings): number[];
  /** The address clients are given. */
  address(settings: TestServerSettings): string;
  /** Writes a fresh config (with an empty data folder) into `context.dir`; returns the launch command. */
  prepare(context: ServerContext): Promise<LaunchPlan>;
  /** Healthy means it answered a real request, not merely that its port accepts connections. */
  probe(settings: TestServerSettings): Promise<boolean>;
  /** How long a fresh start may take before it counts as failed. */
  readyTimeoutMs: number;
  /** How long SIGTERM may take before SIGKILL. */
  stopGraceMs: number;
  /** What to look at when it cannot start. */
  hint: string;
}
