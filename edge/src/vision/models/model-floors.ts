/**
 * The least a return-photo model must have shown on its card's held-out test set before the
 * edge runs it. A model swapped in by configuration brings its own card; if that card's figures
 * for the chosen variant fall below these floors the agent refuses to start with it, unless the
 * operator forces it (`vision.models.force`). Pure: the card in, the shortfalls out.
 *
 * Damage, any: no worse than the v1 model the fleet ran before (accuracy 0.88, recall 0.80,
 * precision 0.94, its test figures rounded down). Per class and location: the level a
 * replacement must not fall below, which the quality test also holds the bundled model to on
 * its fresh set — every class recall and precision 0.80, the fleet's target (damage-v5's
 * lowest class figure is dent precision: 0.86 on its test set of 800 photos, 0.84 on the
 * quality test's fresh set of 1,000, ~260 positives per class; v4's floors were 0.70, v3's
 * 0.65); hottest cell on the damage in 90% of damaged photos
 * (edge/models/MODEL_CARD.md). Raise these as the models improve. Screen: 0.95 on all three,
 * what the v1 card stated.
 */
import { DAMAGE_CLASSES, type ChosenModel, type ModelFigures } from './model-card.js';

export interface ModelFloors {
  photo: ModelFigures;
  classes?: { recall: number; precision: number };
  location?: number;
}

export const MODEL_FLOORS: Readonly<{ damage: ModelFloors; screen: ModelFloors }> = Object.freeze({
  damage: { photo: { accuracy: 0.88, recall: 0.8, precision: 0.94 }, classes: { recall: 0.8, precision: 0.8 }, location: 0.9 },
  screen: { photo: { accuracy: 0.95, recall: 0.95, precision: 0.95 } },
});

/** Every figure of the chosen model's card that falls below the floors, as `what measured < floor`. */
export function belowFloors(model: ChosenModel, floors: ModelFloors): string[] {
  const short: string[] = [];
  const check = (what: string, measured: number | undefined, floor: number): void => {
    if (measured === undefined || !(measured >= floor)) short.push(`${what} ${measured ?? 'missing'} < ${floor}`);
  };
  for (const key of ['accuracy', 'recall', 'precision'] as const) check(`photo ${key}`, model.test.photo[key], floors.photo[key]);
  if (floors.classes !== undefined) {
    for (const name of DAMAGE_CLASSES) {
      check(`${name} recall`, model.test.classes?.[name]?.recall, floors.classes.recall);
      check(`${name} precision`, model.test.classes?.[name]?.precision, floors.classes.precision);
    }
  }
  if (floors.location !== undefined) check('location hottest cell on mark', model.test.location?.hottest_cell_on_mark, floors.location);
  return short;
}
