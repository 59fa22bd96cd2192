/** The return saga: decisions, store, consumer, payment webhook, API (docs/returns-saga.md). */
export { bookingOf, CLOSED_STATES, onEvent, onTime, SAGA_STATES, sagaIdOf, type FleetDecision, type ReturnSaga, type SagaState, type SagaStep, type SagaTransition } from './return-saga.js';
export { isSagaOwn, RETURNS_SOURCE, sagaEventId, sagaRecords } from './saga-records.js';
export { openSqliteReturnStore, type ReturnStore } from './sqlite-return-store.js';
export { createReturnSagaService, type ReturnSagaService, type ReturnSagaServiceOptions } from './return-saga-service.js';
export { createPaymentWebhook, type PaymentWebhook, type PaymentWebhookOptions } from './payment-webhook.js';
export { returnDetail, returnsRoutes, returnSummary, RETURNS_PATH, type ReturnsRoutesOptions } from './returns-routes.js';
export { ReturnPolicySchema, ReturnsSettingsSchema, type ReturnPolicy, type ReturnsSettings } from './settings.js';
