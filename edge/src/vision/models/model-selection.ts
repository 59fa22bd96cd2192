/**
 * Which model files the edge runs, and what it may say about them. From the configured card
 * (default: the bundled one) and variant (float32 | int8), each model's file is the one the
 * card names beside it, unless a path is configured. A model is refused — FW_VISION_MODEL_REFUSED,
 * unless `force` — when its file is not the one the card measured (sha256), or when the card's
 * figures for it fall below MODEL_FLOORS. What is chosen travels with every verdict: versions
 * (`{card version}[-int8]@{sha256[:8]} of the file run`) and the thresholds used.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EdgeError } from '../../errors.js';
import { chooseModel, DAMAGE_CLASSES, readModelCard, type ChosenModel, type ModelThresholds, type ModelVariant } from './model-card.js';
import { belowFloors, MODEL_FLOORS } from './model-floors.js';
import { BUNDLED_CARD } from './models.js';

export interface ModelSelectionOptions {
  /** '' = the model the card names for the variant, beside the card. */
  damage: string;
  screen: string;
  /** '' = the bundled card. */
  card: string;
  variant: ModelVariant;
  /** Run models whose card does not vouch for them (file hash or floors). Default false. */
  force: boolean;
}

export interface SelectedModel extends ChosenModel {
  path: string;
  /** `{version}[-int8]@{first 8 hex of the file's sha256}`. */
  label: string;
  /** Why the card does not vouch for this model (empty when it does). */
  refusals: string[];
}

export interface ModelSelection {
  damage: SelectedModel;
  screen: SelectedModel;
  /** For events and answers: model → version label. */
  versions: { damage: string; screen: string };
  /** For events and answers: damage (photo), each damage class, screen. */
  thresholds: Record<string, number>;
  /** True when a refusal was overridden by `force`. */
  forced: boolean;
}

export function selectModels(options: ModelSelectionOptions): ModelSelection {
  const cardPath = options.card || BUNDLED_CARD;
  const card = readModelCard(cardPath);
  const select = (name: 'damage' | 'screen', configured: string): SelectedModel => {
    const chosen = chooseModel(card, name, options.variant);
    const path = configured || resolve(dirname(cardPath), chosen.file);
    const sha256 = fileSha256(path);
    const refusals = belowFloors(chosen, MODEL_FLOORS[name]).map((short) => `card figures: ${short}`);
    if (sha256 !== chosen.sha256) refusals.unshift(`file ${path} is not the ${chosen.file} the card measured (sha256 ${sha256.slice(0, 8)}, card ${chosen.sha256.slice(0, 8)})`);
    const label = `${chosen.version}${options.variant === 'int8' ? '-int8' : ''}@${sha256.slice(0, 8)}`;
    return { ...chosen, path, label, refusals };
  };
  const damage = select('damage', options.damage);
  const screen = select('screen', options.screen);
  const refusals = [...damage.refusals.map((r) => `damage: ${r}`), ...screen.refusals.map((r) => `screen: ${r}`)];
  if (refusals.length > 0 && !options.force) {
    throw new EdgeError('FW_VISION_MODEL_REFUSED', `model card ${cardPath} does not vouch for the configured ${options.variant} models (set vision.models.force to run them anyway):\n  - ${refusals.join('\n  - ')}`);
  }
  return {
    damage,
    screen,
    versions: { damage: damage.label, screen: screen.label },
    thresholds: thresholdTable(damage.thresholds, screen.thresholds),
    forced: refusals.length > 0,
  };
}

function thresholdTable(damage: ModelThresholds, screen: ModelThresholds): Record<string, number> {
  const classes = Object.fromEntries(DAMAGE_CLASSES.map((k) => [k, damage.classes?.[k] as number]));
  return { damage: damage.photo, ...classes, screen: screen.photo };
}

function fileSha256(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (error) {
    throw new EdgeError('FW_VISION_MODEL_LOAD_FAILED', `cannot read model ${path}`, { cause: error });
  }
}
