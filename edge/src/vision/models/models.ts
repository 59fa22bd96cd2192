/**
 * ONNX photo models behind one small interface. A model is a file chosen by path (config), loaded
 * once into an onnxruntime-node session and reused for every photo. The input name and size are
 * read from the session's metadata, so any model that keeps the contract can be swapped in:
 * one float32 input [1|batch, 3, H, W] (RGB / 255) and the named outputs listed below.
 *   damage: `damage_probability` [N, 1], `damage_class_scores` [N, 3] (scratch, dent, crack),
 *           `damage_location` [N, rows, cols] (per cell of a grid over the photo: damage here)
 *   screen: `screen_probability` [N, 1]
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { EdgeError } from '../../errors.js';
import { EDGE_PACKAGE_ROOT } from '../../package-root.js';
import type { ModelInputSize } from '../photos/preprocess.js';
import type { DamageClass } from './model-card.js';

export const DAMAGE_OUTPUTS = ['damage_probability', 'damage_class_scores', 'damage_location'] as const;
export const SCREEN_OUTPUTS = ['screen_probability'] as const;
export { DAMAGE_CLASSES, type DamageClass } from './model-card.js';

/** The card of the models committed with the edge (see edge/models/MODEL_CARD.md); the model files lie beside it. */
export const BUNDLED_CARD = join(EDGE_PACKAGE_ROOT, 'models', 'model-card.json');

export interface PhotoModel {
  readonly path: string;
  readonly inputName: string;
  readonly inputSize: ModelInputSize;
  /** Declared shape of each output the caller relies on (symbolic dims as names). */
  readonly outputShapes: Readonly<Record<string, ReadonlyArray<number | string>>>;
  /** Runs one photo tensor (from preprocess.photoTensor at `inputSize`); returns the named outputs. */
  run(tensor: Float32Array): Promise<Record<string, Float32Array>>;
  close(): Promise<void>;
}

export interface LoadModelOptions {
  path: string;
  /** Output names the caller relies on; loading fails when one is missing. */
  outputs: readonly string[];
  /** onnxruntime intra-op threads. Default 1: photos arrive one at a time beside other work on a small box. */
  threads?: number;
}

export async function loadPhotoModel(options: LoadModelOptions): Promise<PhotoModel> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new EdgeError('FW_VISION_OPTIONS_INVALID', `threads must be a non-negative integer, got ${threads}`);
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(options.path, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  } catch (error) {
    throw new EdgeError('FW_VISION_MODEL_LOAD_FAILED', `cannot load model ${options.path}`, { cause: error });
  }
  const { inputName, inputSize } = readInputContract(session, options.path);
  const missing = options.outputs.filter((name) => !session.outputNames.includes(name));
  if (missing.length > 0) {
    await session.release();
    throw new EdgeError('FW_VISION_MODEL_CONTRACT', `model ${options.path} lacks outputs ${missing.join(', ')} (has ${session.outputNames.join(', ')})`);
  }
  const outputs = [...options.outputs];
  const outputShapes = Object.fromEntries(session.outputMetadata
    .filter((meta) => outputs.includes(meta.name))
    .map((meta) => [meta.name, meta.isTensor ? meta.shape : []]));
  return {
    path: options.path,
    inputName,
    inputSize,
    outputShapes,
    async run(tensor) {
      const expected = 3 * inputSize.width * inputSize.height;
      if (tensor.length !== expected) {
        throw new EdgeError('FW_VISION_MODEL_CONTRACT', `tensor has ${tensor.length} values, model ${options.path} takes ${expected}`);
      }
      const feed = new ort.Tensor('float32', tensor, [1, 3, inputSize.height, inputSize.width]);
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await session.run({ [inputName]: feed }, outputs);
      } catch (error) {
        throw new EdgeError('FW_VISION_INFERENCE_FAILED', `model ${options.path} failed to run`, { cause: error });
      }
      const values: Record<string, Float32Array> = {};
      for (const name of outputs) {
        const data = result[name]?.data;
        if (!(data instanceof Float32Array)) throw new EdgeError('FW_VISION_MODEL_CONTRACT', `output ${name} of ${options.path} is not float32`);
        values[name] = data;
      }
      return values;
    },
    close: () => session.release(),
  };
}

function readInputContract(session: ort.InferenceSession, path: string): { inputName: string; inputSize: ModelInputSize } {
  const meta = session.inputMetadata;
  const input = meta[0];
  if (meta.length !== 1 || input === undefined || !input.isTensor || input.type !== 'float32') {
    throw new EdgeError('FW_VISION_MODEL_CONTRACT', `model ${path} must take exactly one float32 tensor input`);
  }
  const [batch, channels, height, width] = input.shape;
  const fixedBatchOk = typeof batch === 'string' || batch === 1;
  if (input.shape.length !== 4 || !fixedBatchOk || channels !== 3 || typeof height !== 'number' || typeof width !== 'number') {
    throw new EdgeError('FW_VISION_MODEL_CONTRACT', `model ${path} input ${input.name} has shape [${input.shape.join(', ')}], expected [1|N, 3, H, W] with fixed H and W`);
  }
  return { inputName: input.name, inputSize: { width, height } };
}

/** Where on the photo the damage model sees damage: one probability per cell, row-major from the top left. */
export interface DamageLocation {
  rows: number;
  cols: number;
  cells: number[];
}

export interface DamageScores {
  probability: number;
  classes: Record<DamageClass, number>;
  location: DamageLocation;
}

export async function scoreDamage(model: PhotoModel, tensor: Float32Array): Promise<DamageScores> {
  const out = await model.run(tensor);
  const classes = out.damage_class_scores as Float32Array;
  return {
    probability: (out.damage_probability as Float32Array)[0] as number,
    classes: { scratch: classes[0] as number, dent: classes[1] as number, crack: classes[2] as number },
    location: { ...locationGrid(model), cells: Array.from(out.damage_location as Float32Array) },
  };
}

/** The grid of `damage_location` [N, rows, cols]; loading checks it, so a model without one is refused. */
export function locationGrid(model: PhotoModel): { rows: number; cols: number } {
  const [, rows, cols] = model.outputShapes.damage_location ?? [];
  if (typeof rows !== 'number' || typeof cols !== 'number' || rows < 1 || cols < 1) {
    throw new EdgeError('FW_VISION_MODEL_CONTRACT', `model ${model.path}: damage_location must be [N, rows, cols] with fixed rows and cols`);
  }
  return { rows, cols };
}

export async function scoreScreen(model: PhotoModel, tensor: Float32Array): Promise<number> {
  const out = await model.run(tensor);
  return (out.screen_probability as Float32Array)[0] as number;
}

export interface ReturnModels {
  damage: PhotoModel;
  screen: PhotoModel;
  close(): Promise<void>;
}

/** Both return-photo models from their paths (the card names the bundled files, `model-selection.ts`). */
export async function loadReturnModels(options: { damagePath: string; screenPath: string; threads?: number }): Promise<ReturnModels> {
  const threads = options.threads ?? 1;
  const damage = await loadPhotoModel({ path: options.damagePath, outputs: DAMAGE_OUTPUTS, threads });
  const screen = await loadPhotoModel({ path: options.screenPath, outputs: SCREEN_OUTPUTS, threads }).catch(async (error: unknown) => {
    await damage.close();
    throw error;
  });
  try {
    locationGrid(damage);
  } catch (error) {
    await Promise.all([damage.close(), screen.close()]);
    throw error;
  }
  return { damage, screen, close: async () => { await Promise.all([damage.close(), screen.close()]); } };
}
