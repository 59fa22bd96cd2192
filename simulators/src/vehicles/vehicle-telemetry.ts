/** The telemetry a vehicle reports: its state as its sensors would read it (rounded, a little noisy). */
import type { Random } from '../random/random.js';
import { round } from '../world/rounding.js';
import { TYRE_POSITIONS } from './degradation.js';
import { aux12vReadingV, packVoltageV, tyreReadingKpa } from './physics.js';
import type { VehicleState } from './vehicle.js';
import { activeDtcs, socPct } from './vehicle.js';

export function vehicleTelemetry(vehicle: VehicleState, ambient: number, rng: Random): Record<string, unknown> {
  const soc = socPct(vehicle);
  const { battery } = vehicle;
  const tyresKpa = Object.fromEntries(
    TYRE_POSITIONS.map((t) => [t, round(tyreReadingKpa(vehicle.tyresColdKpa[t], ambient, vehicle.tyreWarmth) + rng.normal(0, 0.4), 1)]),
  );
  const speedKph = vehicle.speedMps > 0 ? Math.max(0, vehicle.speedMps * 3.6 + rng.normal(0, 0.3)) : 0;
  return {
    position: { lat: round(vehicle.position.lat, 6), lon: round(vehicle.position.lon, 6) },
    speedKph: round(speedKph, 1),
    headingDeg: round(vehicle.headingDeg, 1) % 360,
    odometerKm: round(vehicle.odometerKm, 2),
    socPct: round(Math.min(100, Math.max(0, soc)), 1),
    battery: {
      tempC: round(battery.tempC, 1),
      voltageV: round(packVoltageV(battery.nominalV, soc, battery.currentA), 1),
      currentA: round(battery.currentA, 1),
    },
    aux12vV: round(aux12vReadingV(vehicle.ignition, vehicle.aux12vRestV) + rng.normal(0, 0.02), 2),
    tyresKpa,
    locked: vehicle.locked,
    ignition: vehicle.ignition,
    dtcs: activeDtcs(vehicle),
  };
}
