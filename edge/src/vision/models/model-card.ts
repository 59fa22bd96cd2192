/**
 * Reads edge/models/model-card.json, written by edge/models/training/train.py: the decision
 * threshold of each model (chosen on the validation set) and the figures the card states (the
 * held-out measurement minus a margin) that the quality test holds the models to.
 */
import { readFileSync } from 'node:fs';
import { EdgeError } from '../../errors.js';

export interface ModelFigures {
  accuracy: number;
  recall: number;
  precision: number;
}

export interface ModelCardEntry {
  file: string;
  threshold: number;
  stated: ModelFigures;
  test: ModelFigures & { count: number; positives: number };
}

export interface ModelCard {
  models: { damage: ModelCardEntry; screen: ModelCardEntry };
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
    const entry = models?.[name];
    const ok = entry !== undefined && typeof entry.threshold === 'number' && entry.threshold > 0 && entry.threshold < 1
      && typeof entry.stated?.accuracy === 'number' && typeof entry.stated.recall === 'number';
    if (!ok) throw new EdgeError('FW_VISION_MODEL_CONTRACT', `model card ${path} lacks a valid "${name}" entry`);
  }
  return parsed as ModelCard;
}
