/**
 * A FleetStatusSnapshot from the fleet service's views (fleet-views.ts: status and low battery
 * are judged there, once) plus the open bookings only analytics tracks.
 *
 * Vehicles fall into exactly one group, in this order: offline, charging, in trip (the fleet's
 * `driving`), then the parked ones: maintenance (an open MaintenanceRequired), booked, available.
 * Chargers online are counted by their connectors: faulted if any connector is, else charging
 * if any is (Charging, SuspendedEV, SuspendedEVSE), else available if any is; a charger whose
 * connectors are all preparing, finishing, reserved or unavailable is only in `total`.
 */
import type { ChargerStatus, EventData } from '@fleetwire/protocol';
import type { FleetReader } from '../fleet/index.js';

export type FleetStatusSnapshot = EventData['FleetStatusSnapshot'];
type VehicleView = ReturnType<FleetReader['vehicles']>[number];
type ChargerView = ReturnType<FleetReader['chargers']>[number];

const CHARGING: ReadonlySet<ChargerStatus> = new Set<ChargerStatus>(['Charging', 'SuspendedEV', 'SuspendedEVSE']);

export function fleetSnapshot(vehicleViews: VehicleView[], chargerViews: ChargerView[], isBooked: (vehicleId: string) => boolean): FleetStatusSnapshot {
  const vehicles = { total: 0, available: 0, booked: 0, inTrip: 0, charging: 0, maintenance: 0, offline: 0 };
  let socSum = 0;
  let socCount = 0;
  let lowBatteryCount = 0;
  for (const vehicle of vehicleViews) {
    vehicles.total += 1;
    if (vehicle.lowBattery) lowBatteryCount += 1;
    if (vehicle.status === 'offline') {
      vehicles.offline += 1;
      continue;
    }
    // An offline vehicle's SoC is stale; the mean is over the ones heard from.
    if (vehicle.socPct !== null) {
      socSum += vehicle.socPct;
      socCount += 1;
    }
    if (vehicle.status === 'charging') vehicles.charging += 1;
    else if (vehicle.status === 'driving') vehicles.inTrip += 1;
    else if (vehicle.alerts.some((alert) => alert.type === 'MaintenanceRequired')) vehicles.maintenance += 1;
    else if (isBooked(vehicle.id)) vehicles.booked += 1;
    else vehicles.available += 1;
  }

  const chargers = { total: 0, available: 0, charging: 0, faulted: 0, offline: 0 };
  for (const charger of chargerViews) {
    chargers.total += 1;
    const statuses = new Set(charger.connectors.map((connector) => connector.status));
    if (charger.offline) chargers.offline += 1;
    else if (statuses.has('Faulted')) chargers.faulted += 1;
    else if ([...statuses].some((status) => CHARGING.has(status))) chargers.charging += 1;
    else if (statuses.has('Available')) chargers.available += 1;
  }
  const avgSocPct = socCount === 0 ? null : Math.round((socSum / socCount) * 10) / 10;
  return { vehicles, chargers, avgSocPct, lowBatteryCount };
}
