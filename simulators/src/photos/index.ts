export { generatePhoto } from './generate-photo.js';
export { generateLabelledSet, labelledPhotos, type LabelledPhoto, type LabelledSetOptions } from './labelled-set.js';
export {
  DAMAGE_KINDS,
  type DamageKind,
  type DamageRegion,
  type GeneratedPhoto,
  type GpsPoint,
  type PhotoExifSpec,
  type PhotoLabels,
  type PhotoOrientation,
  type PhotoSpec,
} from './photo-spec.js';
