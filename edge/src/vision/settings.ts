/** Return-photo verification's options, with their defaults (docs/edge.md, "Return photos"). */
import { Type, type Static } from '@sinclair/typebox';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '@fleetwire/protocol';
import { IntegerOption, OptionGroup, PathOption } from '../settings.js';
import { MODEL_VARIANTS } from './models/model-card.js';

const MIB = 1024 * 1024;

export const VisionSettingsSchema = OptionGroup({
  enabled: Type.Boolean({ default: false }),
  /** The booking system's public keys (JWKS, each with a kid), which return tokens are verified with. */
  returnTokenKeysFile: PathOption(),
  /** Accept HS256 tokens signed with returnTokenSecret (shared with the booking system): a migration aid only. */
  legacyHs256: Type.Boolean({ default: false }),
  /** The HS256 secret; refused unless legacyHs256 is on. */
  returnTokenSecret: Type.String({ default: '' }),
  /** Where returned cars may be parked. */
  returnAreasFile: PathOption(),
  /** '' = the bundled card / the model its card names for the variant (vision/models/model-selection.ts). */
  models: OptionGroup({
    damage: PathOption(),
    screen: PathOption(),
    card: PathOption(),
    threads: IntegerOption(1, 0, 16),
    /** float32, or int8 (the quantised models for a Pi). */
    variant: Type.Union(MODEL_VARIANTS.map((variant) => Type.Literal(variant)), { default: 'float32' }),
    /** Run models whose card does not vouch for them (checksum, quality floors). */
    force: Type.Boolean({ default: false }),
  }),
  limits: OptionGroup({
    maxPhotos: IntegerOption(8, 1, 32),
    maxPhotoBytes: IntegerOption(8 * MIB, 1_024, 64 * MIB),
    maxPixels: IntegerOption(40_000_000, 10_000, 268_402_689),
    maxActiveReturns: IntegerOption(2, 1, 16),
    maxWaitingReturns: IntegerOption(8, 0, 256),
    quarantineMaxBytes: IntegerOption(MIB, 0, 16 * MIB),
  }),
  checks: OptionGroup({
    maxPositionAgeMs: IntegerOption(30 * MINUTE_MS, 1_000, 7 * DAY_MS),
    maxGpsDistanceM: IntegerOption(150, 1, 100_000),
    maxExifAgeMs: IntegerOption(30 * MINUTE_MS, MINUTE_MS, 7 * DAY_MS),
    maxFutureSkewMs: IntegerOption(5 * MINUTE_MS, 0, DAY_MS),
    reuseMaxDistance: IntegerOption(24, 0, 128),
  }),
  retention: OptionGroup({
    photoDays: IntegerOption(30, 1, 3650),
    photoMaxBytes: IntegerOption(2 * 1024 * MIB, MIB, 1024 ** 4),
    hashDays: IntegerOption(365, 1, 3650),
    intervalMs: IntegerOption(HOUR_MS, 1_000, DAY_MS),
  }),
});

export type VisionConfig = Static<typeof VisionSettingsSchema>;
