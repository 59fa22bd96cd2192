/**
 * Writes a labelled photo set to a folder for offline training:
 *   <out>/images/<id>.jpg and <out>/labels.jsonl (one PhotoLabels object per line, with `file`).
 * Usage: tsx simulators/src/photos/export-dataset.ts --seed 1 --count 3000 --out /tmp/photos
 *        [--damage-rate 0.5] [--screen-rate 0.3] [--rotated-rate 0.1]
 */
import { mkdir, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { SimulatorError } from '../errors.js';
import { labelledPhotos } from './labelled-set.js';

export async function exportDataset(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      count: { type: 'string' },
      out: { type: 'string' },
      'damage-rate': { type: 'string', default: '0.5' },
      'screen-rate': { type: 'string', default: '0.3' },
      'rotated-rate': { type: 'string', default: '0.1' },
    },
  });
  if (values.seed === undefined || values.count === undefined || values.out === undefined) {
    throw new SimulatorError('FW_SIM_OPTIONS_INVALID', 'usage: export-dataset --seed N --count N --out DIR [--damage-rate R] [--screen-rate R] [--rotated-rate R]');
  }
  const out = values.out;
  await mkdir(join(out, 'images'), { recursive: true });
  const labels = await open(join(out, 'labels.jsonl'), 'w');
  let written = 0;
  try {
    for await (const photo of labelledPhotos({
      seed: Number(values.seed),
      count: Number(values.count),
      damageRate: Number(values['damage-rate']),
      screenRate: Number(values['screen-rate']),
      rotatedRate: Number(values['rotated-rate']),
    })) {
      const file = `images/${photo.id}.jpg`;
      await writeFile(join(out, file), photo.jpeg);
      await labels.write(`${JSON.stringify({ ...photo.labels, file })}\n`);
      written += 1;
    }
  } finally {
    await labels.close();
  }
  console.log(JSON.stringify({ event: 'photo_dataset_exported', out, photos: written }));
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await exportDataset(process.argv.slice(2));
}
