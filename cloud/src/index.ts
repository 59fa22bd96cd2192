/**
 * @fleetwire/cloud — ingest, bus, sinks. The CLI entry is `runCloudCommand`; embedders and
 * tests compose the service with `startCloud(resolveCloudConfig(...))`.
 */
export { runCloudCommand, isOperatorMistake } from './cli.js';
export { startCloud, createCloudLogger, type CloudDependencies, type RunningCloud } from './main.js';
export { INGEST_NODE_FLAGS } from './cloud-processes.js';
export {
  loadCloudConfig,
  resolveCloudConfig,
  busConfigOf,
  authFileOf,
  clientsFileOf,
  CloudConfigSchema,
  ENV_VARIABLES,
  type CloudConfig,
  type LoadCloudConfigOptions,
} from './config.js';
export { CloudError, CLOUD_ERROR_CODES, HTTP_STATUS, reasonOf, type CloudErrorCode } from './errors.js';
export type { Bus, BusMessage, DeliveredMessage, HandlerProgress, PartitionLag, Subscription } from './bus/bus.js';
export type { BusConfig } from './bus/config-schema.js';
export { createBus } from './bus/create-bus.js';
export { ingestRoutes, REPLAYED_HEADER, type IngestOptions } from './ingest/ingest.js';
export { resolveIngestSettings, type IngestSettings } from './ingest/settings.js';
export { issueToken, hashToken, type TokenEntry } from './ingest/auth/tokens.js';
export { createNodeRegistry, type NodeRegistry, type NodeIdentity } from './ingest/auth/node-registry.js';
export type { AuthFile, NodeEntry } from './ingest/auth/auth-file.js';
export type { BatchAnswer, RejectedRecord } from './ingest/schemas.js';
export { createTsdbSink, type TsdbSink, type TsdbSinkOptions } from './sinks/tsdb/index.js';
export {
  businessEventsRoutes,
  issueClientToken,
  createClientRegistry,
  EVENTS_PATH,
  type BusinessEventsOptions,
  type ClientEntry,
  type EventAnswer,
} from './business-events/index.js';
