import { describe, expect, it } from 'vitest';
import { findReturnArea, haversineM, isInsideReturnArea, type ReturnArea } from './geofence.js';

const mitte = { lat: 52.52, lon: 13.405 };

describe('haversineM', () => {
  it('measures one degree of latitude as about 111.2 km', () => {
    expect(haversineM({ lat: 52, lon: 13 }, { lat: 53, lon: 13 })).toBeCloseTo(111_195, -1);
  });

  it('measures Berlin to Paris as about 877.5 km and is symmetric', () => {
    const paris = { lat: 48.8566, lon: 2.3522 };
    expect(haversineM(mitte, paris) / 1000).toBeCloseTo(877.5, 0);
    expect(haversineM(paris, mitte)).toBeCloseTo(haversineM(mitte, paris), 6);
    expect(haversineM(mitte, mitte)).toBe(0);
  });
});

describe('return areas', () => {
  const circle: ReturnArea = { id: 'circle-1', kind: 'circle', center: mitte, radiusM: 50 };
  // A 100 m x 60 m car park, with a notch cut out of its north-east corner (concave).
  const dLat = 1 / 111_320;
  const dLon = 1 / (111_320 * Math.cos((52.52 * Math.PI) / 180));
  const at = (eastM: number, northM: number) => ({ lat: 52.52 + northM * dLat, lon: 13.405 + eastM * dLon });
  const park: ReturnArea = {
    id: 'park-1',
    kind: 'polygon',
    points: [at(0, 0), at(100, 0), at(100, 30), at(70, 30), at(70, 60), at(0, 60)],
  };

  it('puts a point 40 m from the centre inside a 50 m circle and 60 m outside', () => {
    expect(isInsideReturnArea(at(40, 0), circle)).toBe(true);
    expect(isInsideReturnArea(at(0, 60), circle)).toBe(false);
  });

  it('tests points against a concave polygon', () => {
    expect(isInsideReturnArea(at(10, 10), park)).toBe(true);
    expect(isInsideReturnArea(at(90, 10), park)).toBe(true);
    expect(isInsideReturnArea(at(90, 45), park)).toBe(false); // in the notch
    expect(isInsideReturnArea(at(50, 59), park)).toBe(true);
    expect(isInsideReturnArea(at(-1, 30), park)).toBe(false);
    expect(isInsideReturnArea(at(50, 61), park)).toBe(false);
  });

  it('treats a polygon with fewer than three points as empty', () => {
    expect(isInsideReturnArea(mitte, { id: 'line', kind: 'polygon', points: [at(-1, -1), at(1, 1)] })).toBe(false);
  });

  it('finds the first area containing the point', () => {
    expect(findReturnArea(at(10, 10), [circle, park])?.id).toBe('circle-1');
    expect(findReturnArea(at(90, 10), [circle, park])?.id).toBe('park-1');
    expect(findReturnArea(at(500, 500), [circle, park])).toBeUndefined();
  });

  it('handles polygons across the antimeridian', () => {
    const pacific: ReturnArea = {
      id: 'dateline', kind: 'polygon',
      points: [{ lat: -1, lon: 179.99 }, { lat: -1, lon: -179.99 }, { lat: 1, lon: -179.99 }, { lat: 1, lon: 179.99 }],
    };
    expect(isInsideReturnArea({ lat: 0, lon: 180 }, pacific)).toBe(true);
    expect(isInsideReturnArea({ lat: 0, lon: -179.995 }, pacific)).toBe(true);
    expect(isInsideReturnArea({ lat: 0, lon: 179.9 }, pacific)).toBe(false);
  });
});
