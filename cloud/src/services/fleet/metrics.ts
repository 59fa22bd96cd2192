/** The fleet service's own telemetry; labels come from fixed lists. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FleetState } from './fleet-state.js';

export interface FleetMetrics {
  /** kind: the record kind. Re-deliveries are counted too: they are applied, and change nothing. */
  recordsApplied: Counter<'kind'>;
  /** reason: the protocol reason a bus value did not decode for. */
  recordsSkipped: Counter<'reason'>;
}

/** `state`: the whole fleet as this instance sees it, read at each scrape. */
export function createFleetMetrics(registry: Registry, state: () => FleetState): FleetMetrics {
  const registers = [registry];
  new Gauge({
    name: 'fleetwire_fleet_vehicles', help: 'Vehicles the fleet state knows', registers,
    collect() {
      this.set(state().vehicles.size);
    },
  });
  new Gauge({
    name: 'fleetwire_fleet_chargers', help: 'Chargers the fleet state knows', registers,
    collect() {
      this.set(state().chargers.size);
    },
  });
  return {
    recordsApplied: new Counter({
      name: 'fleetwire_fleet_records_applied_total', help: 'Bus records folded into the fleet state, by kind', labelNames: ['kind'], registers,
    }),
    recordsSkipped: new Counter({
      name: 'fleetwire_fleet_records_skipped_total', help: 'Bus records the fleet state could not decode, by reason', labelNames: ['reason'], registers,
    }),
  };
}
