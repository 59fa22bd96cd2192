/**
 * Holds the committed models — the float model and its INT8 quantisation — to the figures
 * edge/models/model-card.json states (loading them checks the card against the floors the edge
 * requires, model-floors.ts), on a FRESH synthetic set (seed 4242; training used 101, thresholds 202, the card's test 303),
 * through the real path: JPEG with EXIF → preprocess (sharp) → onnxruntime-node. Per damage
 * class, and where: the hottest cell of the location grid must lie on a mark the simulator drew.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledPhotos, type DamageRegion, type LabelledPhoto } from '@fleetwire/simulators';
import { preparePhoto } from '../photos/preprocess.js';
import { DAMAGE_CLASSES, MODEL_VARIANTS, type ClassFigures, type ModelVariant } from './model-card.js';
import { MODEL_FLOORS } from './model-floors.js';
import { selectModels, type ModelSelection } from './model-selection.js';
import { loadReturnModels, scoreDamage, scoreScreen, type DamageScores, type ReturnModels } from './models.js';

const SEED = 4242;
// ~260 positives per damage class (261–292 here): one standard error of a class's recall near 0.85 is ~0.02.
// At 300 photos (~80 positives) it was ~0.04, and three 300-photo sets moved a class by ±0.06.
const COUNT = 1000;

interface Scored { damage: DamageScores; screen: number; labels: LabelledPhoto['labels'] }

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

/** Does grid cell `index` (row-major over rows x cols) overlap the region's box? Same rule as training. */
function cellOnRegion(index: number, rows: number, cols: number, region: DamageRegion, width: number, height: number): boolean {
  const row = Math.floor(index / cols);
  const col = index % cols;
  const { x, y, width: w, height: h } = region.box;
  const c0 = Math.floor((x * cols) / width);
  const c1 = Math.min(cols - 1, Math.floor(((x + w - 1) * cols) / width));
  const r0 = Math.floor((y * rows) / height);
  const r1 = Math.min(rows - 1, Math.floor(((y + h - 1) * rows) / height));
  return row >= r0 && row <= r1 && col >= c0 && col <= c1;
}

function hottestOnMark(s: Scored): boolean {
  const { rows, cols, cells } = s.damage.location;
  const hottest = cells.indexOf(Math.max(...cells));
  return s.labels.regions.some((region) => cellOnRegion(hottest, rows, cols, region, s.labels.width, s.labels.height));
}

interface Run { selection: ModelSelection; models: ReturnModels; scored: Scored[] }

const runs = new Map<ModelVariant, Run>();

beforeAll(async () => {
  for (const variant of MODEL_VARIANTS) {
    // Refuses (throws) when the card does not vouch for the files or falls below the floors.
    const selection = selectModels({ damage: '', screen: '', card: '', variant, force: false });
    const models = await loadReturnModels({ damagePath: selection.damage.path, screenPath: selection.screen.path });
    runs.set(variant, { selection, models, scored: [] });
  }
  // Streamed, each photo scored by both variants and dropped: 1,000 decoded tensors would hold
  // ~600 MB.
  for await (const photo of labelledPhotos({ seed: SEED, count: COUNT, damageRate: 0.5, screenRate: 0.3, rotatedRate: 0.1 })) {
    const { tensor } = await preparePhoto(photo.jpeg, { width: 256, height: 192 });
    for (const run of runs.values()) {
      run.scored.push({ damage: await scoreDamage(run.models.damage, tensor), screen: await scoreScreen(run.models.screen, tensor), labels: photo.labels });
    }
  }
}, 600_000);

afterAll(async () => {
  for (const run of runs.values()) await run.models.close();
});

describe.each(MODEL_VARIANTS)('the %s return-photo models on a fresh synthetic set', (variant: ModelVariant) => {
  let selection: ModelSelection;
  let models: ReturnModels;
  let scored: Scored[];

  beforeAll(() => {
    ({ selection, models, scored } = runs.get(variant) as Run);
  });

  it('reads the input contract and the location grid from the models themselves', () => {
    expect(models.damage.inputSize).toEqual({ width: 256, height: 192 });
    expect(models.screen.inputSize).toEqual(models.damage.inputSize);
    expect(models.damage.inputName).toBe('image');
    expect(scored[0]?.damage.location).toMatchObject({ rows: 6, cols: 8 });
    expect(scored[0]?.damage.location.cells).toHaveLength(48);
  });

  it('scored every photo with probabilities in [0, 1]', () => {
    expect(scored).toHaveLength(COUNT);
    const all = scored.flatMap((s) => [s.damage.probability, s.screen, ...Object.values(s.damage.classes), ...s.damage.location.cells]);
    expect(all.every((p) => p >= 0 && p <= 1)).toBe(true);
  });

  it('finds damage at or above the accuracy, recall and precision the card states', () => {
    const measured = figures(scored, (s) => s.damage.probability, (s) => s.labels.damaged, selection.damage.thresholds.photo);
    expect(measured.positives).toBeGreaterThan(400);
    const stated = selection.damage.stated.photo;
    expect(measured.accuracy).toBeGreaterThanOrEqual(stated.accuracy);
    expect(measured.recall).toBeGreaterThanOrEqual(stated.recall);
    expect(measured.precision).toBeGreaterThanOrEqual(stated.precision);
  });

  it.each(DAMAGE_CLASSES)('finds %s at or above the recall and precision the card states and the edge\'s per-class floors', (kind) => {
    const threshold = selection.damage.thresholds.classes?.[kind] as number;
    const measured = figures(scored, (s) => s.damage.classes[kind], (s) => s.labels.damage[kind] > 0, threshold);
    expect(measured.positives).toBeGreaterThan(200);
    const stated = selection.damage.stated.classes?.[kind] as ClassFigures;
    expect(measured.recall).toBeGreaterThanOrEqual(stated.recall);
    expect(measured.precision).toBeGreaterThanOrEqual(stated.precision);
    // And the edge's own per-class floors, on this fresh set too, not only on the card's.
    const floors = MODEL_FLOORS.damage.classes as { recall: number; precision: number };
    expect(measured.recall).toBeGreaterThanOrEqual(floors.recall);
    expect(measured.precision).toBeGreaterThanOrEqual(floors.precision);
  });

  it('points at the damage: the hottest location cell lies on a drawn mark as often as the card states', () => {
    const damaged = scored.filter((s) => s.labels.damaged);
    const onMark = damaged.filter(hottestOnMark).length / damaged.length;
    expect(onMark).toBeGreaterThanOrEqual(selection.damage.stated.location?.hottest_cell_on_mark as number);
    // And not by luck: on undamaged photos the hottest cell is cooler than on damaged ones.
    const meanHottest = (set: Scored[]) => set.reduce((sum, s) => sum + Math.max(...s.damage.location.cells), 0) / set.length;
    expect(meanHottest(damaged)).toBeGreaterThan(meanHottest(scored.filter((s) => !s.labels.damaged)) + 0.3);
  });

  it('finds screen photos at or above the accuracy, recall and precision the card states', () => {
    const measured = figures(scored, (s) => s.screen, (s) => s.labels.screen, selection.screen.thresholds.photo);
    expect(measured.positives).toBeGreaterThan(250);
    const stated = selection.screen.stated.photo;
    expect(measured.accuracy).toBeGreaterThanOrEqual(stated.accuracy);
    expect(measured.recall).toBeGreaterThanOrEqual(stated.recall);
    expect(measured.precision).toBeGreaterThanOrEqual(stated.precision);
  });
});
