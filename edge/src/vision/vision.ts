/**
 * Starts the vision stage from its config: the model card (thresholds), both models (loaded
 * once, for the life of the agent), the return areas, the vision store, the vehicle positions
 * the intake feeds, the photo folder with its retention, and the verifier the photo routes use.
 * Files under dataDir: `vision.sqlite`, `photos/{returnId}/{n}.jpg`.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DAY_MS, HOUR_MS } from '@fleetwire/protocol';
import type { RecordBuffer } from '../buffer/buffer.js';
import type { VisionConfig } from './settings.js';
import { EdgeError } from '../errors.js';
import { DEFAULT_FRAUD_THRESHOLDS } from './fraud/fraud-features.js';
import { DEFAULT_VERDICT_POLICY } from './returns/verdict-policy.js';
import { createVisionMetrics, type VisionMetrics } from './metrics.js';
import { selectModels, type ModelSelection } from './models/model-selection.js';
import { loadReturnModels, type DamageClass } from './models/models.js';
import { createPhotoRetention } from './returns/photo-retention.js';
import { createFolderPhotoStore } from './returns/photo-store.js';
import { readReturnAreas } from './returns/return-areas.js';
import type { ModelVersions } from './returns/return-events.js';
import { createReturnGate, type ReturnGate } from './returns/return-gate.js';
import { createReturnVerifier, type ReturnVerifier, type ReturnVerifierOptions } from './returns/return-verification.js';
import { createVehiclePositions, type VehiclePositions } from './returns/vehicle-positions.js';
import { createSqliteVisionStore } from './store/sqlite-vision-store.js';

export interface VisionStage {
  readonly verifier: ReturnVerifier;
  readonly gate: ReturnGate;
  /** Feed with every committed record (intake pipeline `observe`). */
  readonly positions: VehiclePositions;
  readonly metrics: VisionMetrics;
  readonly modelVersions: ModelVersions;
  /** For readiness: false once closed. */
  isOpen(): boolean;
  close(): Promise<void>;
}

export interface StartVisionOptions {
  nodeId: string;
  dataDir: string;
  config: VisionConfig;
  buffer: Pick<RecordBuffer, 'append' | 'quarantine'>;
  registry: Registry;
  logger: Logger;
}

/** A photo folder without a stored return is deleted at start once it is this old. */
export const ORPHAN_GRACE_MS = HOUR_MS;

export async function startVision(options: StartVisionOptions): Promise<VisionStage> {
  const { config, logger } = options;
  const selection = selectModels(config.models);
  if (selection.forced) {
    logger.warn({ event: 'vision_models_forced', refusals: { damage: selection.damage.refusals, screen: selection.screen.refusals } }, 'vision_models_forced');
  }
  const returnAreas = readReturnAreas(config.returnAreasFile);
  const models = await loadReturnModels({ damagePath: selection.damage.path, screenPath: selection.screen.path, threads: config.models.threads });
  // Closed in reverse on stop, or at once if a later step of the start fails.
  const closers: Array<() => unknown> = [() => models.close()];
  try {
    const { damage, screen } = models;
    if (damage.inputSize.width !== screen.inputSize.width || damage.inputSize.height !== screen.inputSize.height) {
      throw new EdgeError('FW_VISION_MODEL_CONTRACT', `damage and screen models must take the same input size (${JSON.stringify(damage.inputSize)} vs ${JSON.stringify(screen.inputSize)})`);
    }
    const modelVersions = selection.versions;
    const metrics = createVisionMetrics(options.registry);
    const store = createSqliteVisionStore({ path: join(options.dataDir, 'vision.sqlite') });
    closers.push(() => store.close());
    const positions = createVehiclePositions({ store, logger });
    closers.push(() => positions.close());
    const photos = createFolderPhotoStore({ dir: join(options.dataDir, 'photos') });
    // Folders whose return row never committed (crash or store failure after the photos were
    // written); the grace period spares a folder whose row is still being written.
    const onDisk = new Set(Array.from(store.storedPhotoSets(), (set) => set.returnId));
    const orphans = await photos.sweep({ keep: (returnId) => onDisk.has(returnId), graceMs: ORPHAN_GRACE_MS });
    if (orphans.length > 0) {
      metrics.pruned.inc({ reason: 'orphaned' }, orphans.length);
      logger.warn({ event: 'vision_photos_pruned', reason: 'orphaned', returns: orphans.length, returnIds: orphans.slice(0, 20) }, 'vision_photos_pruned');
    }
    const retention = createPhotoRetention({
      store,
      photos,
      policy: { photoMaxAgeMs: config.retention.photoDays * DAY_MS, photoMaxBytes: config.retention.photoMaxBytes, hashMaxAgeMs: config.retention.hashDays * DAY_MS },
      intervalMs: config.retention.intervalMs,
      logger,
      onPass({ pruned, storedBytes }) {
        metrics.storedBytes.set(storedBytes);
        for (const choice of pruned) metrics.pruned.inc({ reason: choice.reason });
      },
    });
    closers.push(() => retention.close());
    await retention.run();

    const verifier = createReturnVerifier({
      nodeId: options.nodeId,
      models,
      trace: { versions: selection.versions, thresholds: selection.thresholds },
      thresholds: thresholdsFrom(config.checks, selection),
      returnAreas,
      maxPositionAgeMs: config.checks.maxPositionAgeMs,
      maxPixels: config.limits.maxPixels,
      quarantineMaxBytes: config.limits.quarantineMaxBytes,
      store,
      positions,
      photos,
      buffer: options.buffer,
      metrics,
      logger,
      onStored: () => void retention.run().catch((error: unknown) => logger.error({ event: 'vision_retention_failed', err: error }, 'vision_retention_failed')),
    });
    logger.info({ event: 'vision_started', modelVersions, variant: config.models.variant, thresholds: selection.thresholds, inputSize: damage.inputSize, returnAreas: returnAreas.length, knownPhotos: store.photoHashes().length }, 'vision_started');

    let open = true;
    return {
      verifier,
      gate: createReturnGate({ maxActive: config.limits.maxActiveReturns, maxWaiting: config.limits.maxWaitingReturns }),
      positions,
      metrics,
      modelVersions,
      isOpen: () => open,
      async close() {
        open = false;
        await closeAll(closers);
      },
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

function thresholdsFrom(checks: VisionConfig['checks'], selection: ModelSelection): ReturnVerifierOptions['thresholds'] {
  // readModelCard refuses a damage entry without a threshold for every class.
  const classes = selection.damage.thresholds.classes as Record<DamageClass, number>;
  return {
    fraud: {
      ...DEFAULT_FRAUD_THRESHOLDS,
      screenThreshold: selection.screen.thresholds.photo,
      reuseMaxDistance: checks.reuseMaxDistance,
      maxGpsDistanceM: checks.maxGpsDistanceM,
      maxExifAgeMs: checks.maxExifAgeMs,
      maxFutureSkewMs: checks.maxFutureSkewMs,
    },
    damage: { photo: selection.damage.thresholds.photo, classes },
    verdict: DEFAULT_VERDICT_POLICY,
  };
}

async function closeAll(closers: Array<() => unknown>): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}
