/** @fleetwire/simulators — synthetic vehicles, chargers, load and return photos. */
export * from './photos/index.js';

// The fleet on MQTT, its commands, and the load generator.
export { runSimulateCommand, runLoadCommand } from './cli.js';
export { createFleetSimulation, type FleetSimulation, type FleetStats } from './fleet/fleet-simulation.js';
export type { FleetSimulationOptions, SimulationLogger } from './fleet/fleet-options.js';
export { deviceCredentials, devicePassword, deviceRegistry, type DeviceCredential, type DeviceRegistryFile } from './fleet/credentials.js';
export { runLoad, type LoadSummary } from './loadgen/run-load.js';
export { loadClientIds, type LoadOptions } from './loadgen/load-options.js';

// The publish ledger and reading ids back from payloads, for end-to-end checks.
export { createPublishLedger, type LedgerEntry, type LedgerStatus, type LedgerSummary, type PublishLedger } from './ledger/ledger.js';
export { messageIdOf } from './ledger/message-id-of.js';

// The pure model, for tests and tools that need the messages without a broker.
export { createFleetModel, type FleetModel, type FleetModelOptions, type ModelStep } from './world/fleet-model.js';
export { DEFAULT_WORLD_SETTINGS, resolveWorldSettings, type WorldSettings } from './world/settings.js';
export type { DemandSurge } from './world/demand-surge.js';
export { FAULT_KINDS, type Expectation, type FaultKind, type OutgoingMessage } from './world/outgoing.js';
export { DEFAULT_FAULT_RATES, parseFaults, type FaultSettings } from './faults/fault-settings.js';
export { createCity, type City, type Site } from './city/city.js';
export { createMobileApp, type MobileApp, type MobileAppOptions, type MobileAppStats, type ReturnedTrip, type ReturnTokenClaims, type UploadOutcome } from './returns/mobile-app.js';
export { planReturn, RETURN_INTENTS, type ReturnIntent, type ReturnPlan, type ReturnRates } from './returns/return-plan.js';
export type { VehicleGroundTruth, MaintenanceTruth } from './vehicles/ground-truth.js';
export { SimulatorError, SIMULATOR_ERROR_CODES, type SimulatorErrorCode } from './errors.js';

// The booking and payment services around the fleet, publishing to the cloud's business events API.
export { createBookingBackend, BOOKING_CLIENT_ID, PAYMENT_CLIENT_ID, type BookingBackend, type BookingBackendOptions, type BookingBackendStats } from './backend/booking-backend.js';
export { servePaymentRequests, PAYMENT_REQUESTS_PATH, type PaymentRequestsEndpoint, type PaymentRequestsOptions } from './backend/payment-requests.js';
export { createBusinessEventsClient, type BusinessEventsClient, type BusinessEventsClientOptions, type BusinessEventsClientStats } from './backend/business-events-client.js';
export { fareOf, chargeDeclined, DEFAULT_TARIFF, type Tariff } from './backend/fares.js';
