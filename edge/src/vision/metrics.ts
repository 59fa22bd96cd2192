/** The vision stage's own metrics, registered on the agent's one registry. Labels are bounded lists. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface VisionMetrics {
  /** Verified returns by verdict (accepted, review, rejected). */
  returns: Counter<'verdict'>;
  /** Photos that went through the models. */
  photos: Counter;
  /** Refused uploads by reason code (the photo API's error table). */
  refused: Counter<'reason'>;
  /** Returns with suspected fraud, once per fraud reason present. */
  fraud: Counter<'reason'>;
  /** Repeated uploads of an already verified return, answered from the store. */
  replayed: Counter;
  /** From the first byte of the upload to the verdict. */
  verdictSeconds: Histogram;
  /** Time per stage of a return: prepare (decode, tensor, hash), infer, store (photos), commit (events). */
  stageSeconds: Histogram<'stage'>;
  /** Bytes of return photos kept on the edge. */
  storedBytes: Gauge;
  /** Returns whose photos retention deleted, by reason (age, bytes). */
  pruned: Counter<'reason'>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createVisionMetrics(registry: Registry): VisionMetrics {
  const registers = [registry];
  return {
    returns: new Counter({ name: 'fleetwire_vision_returns_total', help: 'Verified returns, by verdict', labelNames: ['verdict'], registers }),
    photos: new Counter({ name: 'fleetwire_vision_photos_total', help: 'Return photos scored by the models', registers }),
    refused: new Counter({ name: 'fleetwire_vision_uploads_refused_total', help: 'Photo uploads refused, by reason code', labelNames: ['reason'], registers }),
    fraud: new Counter({ name: 'fleetwire_vision_fraud_suspected_total', help: 'Returns with suspected fraud, by fraud reason', labelNames: ['reason'], registers }),
    replayed: new Counter({ name: 'fleetwire_vision_returns_replayed_total', help: 'Repeated uploads of a verified return answered from the store', registers }),
    verdictSeconds: new Histogram({ name: 'fleetwire_vision_verdict_seconds', help: 'Upload to verdict, per return', buckets: LATENCY_BUCKETS, registers }),
    stageSeconds: new Histogram({ name: 'fleetwire_vision_stage_seconds', help: 'Time per verification stage of a return', labelNames: ['stage'], buckets: LATENCY_BUCKETS, registers }),
    storedBytes: new Gauge({ name: 'fleetwire_vision_stored_photo_bytes', help: 'Bytes of return photos kept on the edge', registers }),
    pruned: new Counter({ name: 'fleetwire_vision_photos_pruned_total', help: 'Returns whose stored photos retention deleted, by reason (age, bytes, orphaned)', labelNames: ['reason'], registers }),
  };
}
