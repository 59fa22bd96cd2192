/**
 * Choosing the models from a card: the bundled card vouches for its files in both variants and
 * names versions and thresholds; a model swapped in by configuration is refused when its card
 * does not vouch for it (another file than the one measured, figures below the floors) unless
 * forced, and then it still shows what really runs.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/fleet.js';
import { EdgeError } from '../../errors.js';
import { readModelCard, type ModelCard } from './model-card.js';
import { belowFloors, MODEL_FLOORS } from './model-floors.js';
import { selectModels, type ModelSelectionOptions } from './model-selection.js';
import { BUNDLED_CARD } from './models.js';

const bundled = (over: Partial<ModelSelectionOptions> = {}): ModelSelectionOptions => ({ damage: '', screen: '', card: '', variant: 'float32', force: false, ...over });

/** A copy of the bundled card and models in a folder of its own, the card edited by `edit`. */
function cardCopy(edit: (card: ModelCard) => void): string {
  const dir = tempDir('model-card');
  const card = readModelCard(BUNDLED_CARD);
  for (const entry of [card.models.damage, card.models.screen]) {
    for (const file of [entry.file, entry.int8.file]) copyFileSync(join(BUNDLED_CARD, '..', file), join(dir, file));
  }
  edit(card);
  writeFileSync(join(dir, 'model-card.json'), JSON.stringify(card));
  return join(dir, 'model-card.json');
}

function refusal(run: () => unknown): EdgeError {
  try {
    run();
  } catch (error) {
    if (error instanceof EdgeError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('selectModels', () => {
  it('runs the files the bundled card names, in both variants, naming versions and thresholds', () => {
    const card = JSON.parse(readFileSync(BUNDLED_CARD, 'utf8')) as ModelCard;
    const float = selectModels(bundled());
    expect(float.forced).toBe(false);
    expect(float.damage.path).toBe(join(BUNDLED_CARD, '..', card.models.damage.file));
    expect(float.versions.damage).toBe(`${card.models.damage.version}@${card.models.damage.sha256.slice(0, 8)}`);
    expect(float.thresholds).toEqual({
      damage: card.models.damage.thresholds.photo, ...card.models.damage.thresholds.classes, screen: card.models.screen.thresholds.photo,
    });
    const int8 = selectModels(bundled({ variant: 'int8' }));
    expect(int8.screen.path).toBe(join(BUNDLED_CARD, '..', card.models.screen.int8.file));
    expect(int8.versions.screen).toBe(`${card.models.screen.version}-int8@${card.models.screen.int8.sha256.slice(0, 8)}`);
    expect(int8.damage.test).toEqual(card.models.damage.int8.test);
  });

  it('the bundled card meets the floors in both variants', () => {
    const card = readModelCard(BUNDLED_CARD);
    for (const entry of [card.models.damage, card.models.damage.int8]) expect(belowFloors({ ...card.models.damage, ...entry, variant: 'float32' }, MODEL_FLOORS.damage)).toEqual([]);
    for (const entry of [card.models.screen, card.models.screen.int8]) expect(belowFloors({ ...card.models.screen, ...entry, variant: 'float32' }, MODEL_FLOORS.screen)).toEqual([]);
  });

  it('refuses a card whose dents fall below the floor, unless forced', () => {
    const path = cardCopy((card) => {
      (card.models.damage.test.classes as NonNullable<typeof card.models.damage.test.classes>).dent.recall = 0.065;
    });
    const error = refusal(() => selectModels(bundled({ card: path })));
    expect(error.code).toBe('FW_VISION_MODEL_REFUSED');
    const floor = MODEL_FLOORS.damage.classes?.recall as number;
    expect(error.message).toContain(`damage: card figures: dent recall 0.065 < ${floor}`);
    expect(error.message).not.toContain('screen:');
    // The INT8 variant has figures of its own, which still meet the floors.
    expect(selectModels(bundled({ card: path, variant: 'int8' })).forced).toBe(false);
    const forced = selectModels(bundled({ card: path, force: true }));
    expect(forced.forced).toBe(true);
    expect(forced.damage.refusals).toEqual([`card figures: dent recall 0.065 < ${floor}`]);
  });

  it('refuses a model file the card did not measure, and names the file that runs when forced', () => {
    const card = readModelCard(BUNDLED_CARD);
    const other = join(BUNDLED_CARD, '..', card.models.damage.int8.file);
    const error = refusal(() => selectModels(bundled({ damage: other })));
    expect(error.code).toBe('FW_VISION_MODEL_REFUSED');
    expect(error.message).toMatch(/damage: file .* is not the damage-v5\.onnx the card measured/);
    const forced = selectModels(bundled({ damage: other, force: true }));
    expect(forced.versions.damage).toBe(`${card.models.damage.version}@${card.models.damage.int8.sha256.slice(0, 8)}`);
  });

  it('refuses a card without per-class thresholds as a broken contract', () => {
    const path = cardCopy((card) => {
      delete card.models.damage.thresholds.classes;
    });
    const error = refusal(() => selectModels(bundled({ card: path })));
    expect(error.code).toBe('FW_VISION_MODEL_CONTRACT');
    expect(error.message).toContain('"damage" lacks a threshold in (0, 1) for every damage class');
  });
});
