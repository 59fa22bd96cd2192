/**
 * Reads edge/models/model-card.json, written by edge/models/training/train.py. Per model
 * (damage, screen) it holds the version, the decision thresholds chosen on the validation set
 * (photo level, and per damage class), and for each variant — the float model and its INT8
 * quantisation — the file, its sha256, the figures measured on the held-out test set and the
 * figures the card states (measured minus a margin) that the quality test holds it to.
 */
import { readFileSync } from 'node:fs';
import { EdgeError } from '../../errors.js';

export const DAMAGE_CLASSES = ['scratch', 'dent', 'crack'] as const;
export type DamageClass = (typeof DAMAGE_CLASSES)[number];

export const MODEL_VARIANTS = ['float32', 'int8'] as const;
export type ModelVariant = (typeof MODEL_VARIANTS)[number];

export interface ModelFigures {
  accuracy: number;
  recall: number;
  precision: number;
}

export interface ClassFigures {
  recall: number;
  precision: number;
}

export interface VariantFigures {
  photo: ModelFigures;
  /** Damage model only. */
  classes?: Record<DamageClass, ClassFigures>;
  /** Damage model only: share of damaged photos whose hottest location cell lies on a drawn mark. */
  location?: { hottest_cell_on_mark: number };
}

export interface CardVariant {
  file: string;
  sha256: string;
  test: VariantFigures;
  stated: VariantFigures;
}

export interface ModelThresholds {
  /** The photo-level probability at or above which a photo shows damage (or is a screen). */
  photo: number;
  /** Damage model only: the class score at or above which a finding names that class. */
  classes?: Record<DamageClass, number>;
}

export interface ModelCardEntry extends CardVariant {
  /** e.g. `damage-v2`; the INT8 variant is the same version quantised. */
  version: string;
  thresholds: ModelThresholds;
  /** Damage model only: the location grid of `damage_location`. */
  grid?: { rows: number; cols: number };
  int8: CardVariant;
}

export interface ModelCard {
  models: { damage: ModelCardEntry; screen: ModelCardEntry };
}

/** One variant of one model as the edge runs it: what the card says about that file. */
export interface ChosenModel extends CardVariant {
  version: string;
  variant: ModelVariant;
  thresholds: ModelThresholds;
}

export function readModelCard(path: string): ModelCard {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EdgeError('FW_VISION_MODEL_LOAD_FAILED', `cannot read model card ${path}`, { cause: error });
  }
  const models = (parsed as { models?: Record<string, Partial<ModelCardEntry>> }).models;
  for (const name of ['damage', 'screen'] as const) {
    const problem = entryProblem(models?.[name], name === 'damage');
    if (problem !== undefined) throw new EdgeError('FW_VISION_MODEL_CONTRACT', `model card ${path}: "${name}" ${problem}`);
  }
  return parsed as ModelCard;
}

export function chooseModel(card: ModelCard, name: 'damage' | 'screen', variant: ModelVariant): ChosenModel {
  const entry = card.models[name];
  const chosen = variant === 'int8' ? entry.int8 : entry;
  return { version: entry.version, variant, thresholds: entry.thresholds, file: chosen.file, sha256: chosen.sha256, test: chosen.test, stated: chosen.stated };
}

const isProbability = (x: unknown): boolean => typeof x === 'number' && x > 0 && x < 1;

function entryProblem(entry: Partial<ModelCardEntry> | undefined, damage: boolean): string | undefined {
  if (entry === undefined) return 'is missing';
  if (typeof entry.version !== 'string' || entry.version === '') return 'lacks a version';
  if (!isProbability(entry.thresholds?.photo)) return 'lacks a photo threshold in (0, 1)';
  if (damage && !DAMAGE_CLASSES.every((k) => isProbability(entry.thresholds?.classes?.[k]))) return 'lacks a threshold in (0, 1) for every damage class';
  if (damage && !(Number.isInteger(entry.grid?.rows) && Number.isInteger(entry.grid?.cols))) return 'lacks its location grid';
  for (const [label, variant] of [['float32', entry], ['int8', entry.int8]] as const) {
    if (typeof variant?.file !== 'string' || !/^[0-9a-f]{64}$/.test(variant.sha256 ?? '')) return `lacks the file and sha256 of its ${label} variant`;
    if (typeof variant.test?.photo?.recall !== 'number' || typeof variant.stated?.photo?.recall !== 'number') return `lacks the measured and stated figures of its ${label} variant`;
  }
  return undefined;
}
