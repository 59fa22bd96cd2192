/**
 * Holds the committed models to the figures edge/models/model-card.json states, on a FRESH
 * synthetic set (seed 4242; training used 101, thresholds 202, the card's test 303), through the
 * real path: JPEG with EXIF → preprocess (sharp) → onnxruntime-node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLabelledSet, type LabelledPhoto } from '@fleetwire/simulators';
import { preparePhoto } from '../photos/preprocess.js';
import { readModelCard, type ModelCard } from './model-card.js';
import { BUNDLED_MODELS, loadReturnModels, scoreDamage, scoreScreen, type ReturnModels } from './models.js';

const SEED = 4242;
const COUNT = 200;

interface Scored { damage: number; screen: number; labels: LabelledPhoto['labels'] }

function figures(scored: readonly Scored[], score: (s: Scored) => number, truth: (s: Scored) => boolean, threshold: number) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let correct = 0;
  for (const s of scored) {
    const predicted = score(s) >= threshold;
    const actual = truth(s);
    if (predicted === actual) correct += 1;
    if (predicted && actual) tp += 1;
    if (predicted && !actual) fp += 1;
    if (!predicted && actual) fn += 1;
  }
  return { accuracy: correct / scored.length, recall: tp / Math.max(1, tp + fn), precision: tp / Math.max(1, tp + fp), positives: tp + fn };
}

describe('return-photo models on a fresh synthetic set', () => {
  let card: ModelCard;
  let models: ReturnModels;
  const scored: Scored[] = [];

  beforeAll(async () => {
    card = readModelCard(BUNDLED_MODELS.card);
    models = await loadReturnModels();
    const photos = await generateLabelledSet({ seed: SEED, count: COUNT, damageRate: 0.5, screenRate: 0.3, rotatedRate: 0.1 });
    for (const photo of photos) {
      const prepared = await preparePhoto(photo.jpeg, models.damage.inputSize);
      const damage = await scoreDamage(models.damage, prepared.tensor);
      scored.push({ damage: damage.probability, screen: await scoreScreen(models.screen, prepared.tensor), labels: photo.labels });
    }
  }, 120_000);

  afterAll(async () => {
    await models?.close();
  });

  it('reads the input contract from the models themselves', () => {
    expect(models.damage.inputSize).toEqual({ width: 256, height: 192 });
    expect(models.screen.inputSize).toEqual(models.damage.inputSize);
    expect(models.damage.inputName).toBe('image');
  });

  it('scored every photo with probabilities in [0, 1]', () => {
    expect(scored).toHaveLength(COUNT);
    expect(scored.every((s) => s.damage >= 0 && s.damage <= 1 && s.screen >= 0 && s.screen <= 1)).toBe(true);
  });

  it('finds damage at or above the accuracy and recall the card states', () => {
    const entry = card.models.damage;
    const measured = figures(scored, (s) => s.damage, (s) => s.labels.damaged, entry.threshold);
    expect(measured.positives).toBeGreaterThan(60);
    expect(measured.accuracy).toBeGreaterThanOrEqual(entry.stated.accuracy);
    expect(measured.recall).toBeGreaterThanOrEqual(entry.stated.recall);
  });

  it('finds screen photos at or above the accuracy and recall the card states', () => {
    const entry = card.models.screen;
    const measured = figures(scored, (s) => s.screen, (s) => s.labels.screen, entry.threshold);
    expect(measured.positives).toBeGreaterThan(30);
    expect(measured.accuracy).toBeGreaterThanOrEqual(entry.stated.accuracy);
    expect(measured.recall).toBeGreaterThanOrEqual(entry.stated.recall);
  });
});
