import { describe, expect, it } from 'vitest';
import { parseReturnAreas } from './return-areas.js';

describe('return areas file', () => {
  it('reads circles and polygons', () => {
    const problems: string[] = [];
    const areas = parseReturnAreas({
      areas: [
        { id: 'bays', kind: 'circle', center: { lat: 52.52, lon: 13.405 }, radiusM: 60 },
        { id: 'row', kind: 'polygon', points: [{ lat: 52.5, lon: 13.4 }, { lat: 52.5, lon: 13.41 }, { lat: 52.51, lon: 13.41 }] },
      ],
    }, problems);
    expect(problems).toEqual([]);
    expect(areas.map((a) => [a.id, a.kind])).toEqual([['bays', 'circle'], ['row', 'polygon']]);
  });

  it('lists every problem at once', () => {
    const problems: string[] = [];
    parseReturnAreas({
      areas: [
        { id: 'bad id', kind: 'circle', center: { lat: 1, lon: 2 }, radiusM: 5 },
        { id: 'a', kind: 'circle', center: { lat: 100, lon: 2 }, radiusM: 0 },
        { id: 'b', kind: 'polygon', points: [{ lat: 1, lon: 2 }] },
        { id: 'c', kind: 'square' },
        { id: 'd', kind: 'circle', center: { lat: 1, lon: 2 }, radiusM: 5 },
        { id: 'd', kind: 'circle', center: { lat: 1, lon: 2 }, radiusM: 5 },
      ],
    }, problems);
    expect(problems).toEqual([
      'areas[0].id: must match [A-Za-z0-9_-]{1,64}',
      'areas[1].center: must be { "lat": -90..90, "lon": -180..180 }',
      'areas[1].radiusM: must be a number in (0, 10000]',
      'areas[2].points: needs at least 3 points',
      'areas[3].kind: must be "circle" or "polygon"',
      'areas[5].id: "d" appears twice',
    ]);
    const empty: string[] = [];
    parseReturnAreas({ areas: [] }, empty);
    expect(empty).toEqual(['areas: must be a non-empty list']);
  });
});
