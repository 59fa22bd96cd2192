/** Rounds to a number of decimals, as a sensor or register would report it. */
export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
