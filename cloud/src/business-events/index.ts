/** The business events API: clients, their tokens, the judge and the route (docs/business-events.md). */
export { businessEventsRoutes, type BusinessEventsOptions } from './business-events-routes.js';
export { judgeBusinessEvent, type EventJudgement } from './judge-event.js';
export { BusinessEventsSettingsSchema, type BusinessEventsSettings } from './settings.js';
export { EVENTS_PATH, type EventAnswer } from './schemas.js';
export { addClientToken, readClientsFile, type ClientEntry, type ClientsFile } from './clients/client-file.js';
export { createClientRegistry, type ClientIdentity, type ClientRegistry } from './clients/client-registry.js';
export { issueClientToken, tokenClientId } from './clients/client-tokens.js';
export { loadClients } from './clients/load-clients.js';
export { createPseudonymiser, loadPseudonymKey, pseudonymiseEvent, type Pseudonymise } from './pseudonyms.js';
