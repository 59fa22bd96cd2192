/**
 * Photos for tests and the benchmark: genuine return photos from the simulator with plausible
 * EXIF, and the hostile uploads the API must refuse (built byte by byte, so a "bomb" really
 * declares its size and really decompresses to it). Also the telemetry that places a vehicle.
 */
import { crc32, deflateSync } from 'node:zlib';
import { type FleetRecord } from '@fleetwire/protocol';
import { vehicleTelemetryFixture } from '@fleetwire/protocol/testing';
import { generatePhoto, type GpsPoint } from '@fleetwire/simulators';

export const SITE = { lat: 52.52, lon: 13.405 } as const;

export interface ReturnPhotoSpec {
  seed: number;
  takenAt: Date;
  gps?: GpsPoint;
  screen?: boolean;
  damage?: ReadonlyArray<'scratch' | 'dent' | 'crack'>;
  width?: number;
  height?: number;
}

export async function returnPhoto(spec: ReturnPhotoSpec): Promise<Buffer> {
  const { jpeg } = await generatePhoto({
    seed: spec.seed,
    exif: { takenAt: spec.takenAt, gps: spec.gps ?? SITE },
    ...(spec.screen ? { screen: true } : {}),
    ...(spec.damage ? { damage: spec.damage } : {}),
    ...(spec.width ? { width: spec.width } : {}),
    ...(spec.height ? { height: spec.height } : {}),
  });
  return jpeg;
}

/** `count` genuine photos (different cars, one per seed) taken a minute before `returnAt`. */
export function returnPhotos(firstSeed: number, count: number, returnAt: number, extra: Partial<ReturnPhotoSpec> = {}): Promise<Buffer[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => returnPhoto({ seed: firstSeed + i, takenAt: new Date(returnAt - 60_000), ...extra })));
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid 1-bit greyscale PNG of zeros: a few KB on the wire, width x height pixels decoded. */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8);
  const row = 1 + Math.ceil(width / 8);
  const idat = deflateSync(Buffer.alloc(row * height), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** The same JPEG with its frame header claiming other dimensions (a "gigantic" photo). */
export function withJpegDimensions(jpeg: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(jpeg);
  for (let at = 2; at + 9 < copy.length;) {
    const marker = copy[at + 1] as number;
    if (marker === 0xc0 || marker === 0xc2) {
      copy.writeUInt16BE(height, at + 5);
      copy.writeUInt16BE(width, at + 7);
      return copy;
    }
    at += 2 + copy.readUInt16BE(at + 2);
  }
  throw new Error('no SOF0/SOF2 segment');
}

export const TEXT_NAMED_JPG = Buffer.from('These are my holiday notes, not a photo.\n'.repeat(20));

/** A committed vehicle telemetry record placing `vehicleId` at `point`. */
export function vehicleAt(vehicleId: string, point: GpsPoint, at: number, seq = 1): FleetRecord {
  return {
    id: `${vehicleId}:t1:${seq}`,
    kind: 'vehicle_telemetry',
    source: { kind: 'vehicle', id: vehicleId },
    priority: 'telemetry',
    deviceTime: at,
    receivedAt: at,
    payload: vehicleTelemetryFixture({ ts: at, epoch: 't1', seq, deviceId: vehicleId, position: point }),
  };
}
