/**
 * Which records on the bus a compliance officer asks about, and what the audit trail keeps of
 * each — a plain function over a record. For now: every business event accepted from a booking
 * or payment system (payments with amount and status), every return verdict, every fraud flag,
 * and the return saga's fleet decisions, payment requests, compensations (deposit held, charge
 * adjusted, technician task) and closings, each with the saga id,
 * and every command to a vehicle and its outcome.
 * The entry's `ref` is the record id, so a re-delivered record is recorded once.
 */
import { trustedTime, type FleetRecord } from '@fleetwire/protocol';
import type { AuditInput } from './audit-chain.js';

export function auditedOperation(record: FleetRecord): AuditInput | undefined {
  if (record.kind !== 'event') return undefined;
  const event = record.payload;
  const common = { at: trustedTime(record), actor: `${record.source.kind}:${record.source.id}`, ref: record.id };
  switch (event.type) {
    case 'ReturnVerified': {
      const { returnId, bookingId, tripId, verdict, damage, fraud, parkedInGeofence } = event.data;
      return {
        ...common, action: 'return_verdict', subject: `vehicle:${event.data.vehicleId}`,
        detail: { eventId: event.eventId, returnId, bookingId, ...(tripId === undefined ? {} : { tripId }), verdict, damageScore: damage.score, fraudScore: fraud.score, fraudReasons: fraud.reasons, parkedInGeofence },
      };
    }
    case 'FraudDetected': {
      const { vehicleId, bookingId, returnId, score, reasons } = event.data;
      return {
        ...common, action: 'fraud_flag', subject: `${event.subject.kind}:${event.subject.id}`,
        detail: { eventId: event.eventId, vehicleId, bookingId, returnId, score, reasons },
      };
    }
    case 'VehicleBooked':
    case 'BookingCancelled':
    case 'PaymentProcessed': {
      if (record.source.kind !== 'service') return undefined;
      const { data } = event;
      const payment = event.type === 'PaymentProcessed' ? { paymentId: event.data.paymentId, amountMinor: event.data.amountMinor, currency: event.data.currency, status: event.data.status, failureReason: event.data.failureReason } : {};
      return {
        ...common, action: 'business_event_accepted', subject: `booking:${data.bookingId}`,
        detail: { eventId: event.eventId, type: event.type, receivedAt: record.receivedAt, ...payment },
      };
    }
    case 'FleetDecisionMade': {
      const { sagaId, bookingId, returnId, decision, reasons } = event.data;
      return { ...common, action: 'fleet_decision', subject: `vehicle:${event.data.vehicleId}`, detail: { eventId: event.eventId, sagaId, bookingId, ...(returnId === undefined ? {} : { returnId }), decision, reasons } };
    }
    case 'PaymentRequested': {
      const { sagaId, bookingId, paymentRequestId, attempt, adjustments, holdDeposit } = event.data;
      return { ...common, action: 'payment_request', subject: `booking:${bookingId}`, detail: { eventId: event.eventId, sagaId, paymentRequestId, attempt, adjustments, holdDeposit } };
    }
    case 'DepositHeld':
    case 'ChargeAdjusted':
    case 'TechnicianTaskCreated': {
      const { sagaId, bookingId, vehicleId: _vehicle, tripId: _trip, ...compensation } = event.data;
      return { ...common, action: 'return_compensation', subject: `booking:${bookingId}`, detail: { eventId: event.eventId, type: event.type, sagaId, ...compensation } };
    }
    case 'ReturnClosed': {
      const { sagaId, bookingId, outcome, decision, paymentId, failureReason } = event.data;
      return { ...common, action: 'return_closed', subject: `booking:${bookingId}`, detail: { eventId: event.eventId, sagaId, outcome, decision, paymentId, failureReason } };
    }
    case 'UnlockVehicle':
    case 'LockVehicle': {
      const { commandId, vehicleId, nodeId, deadline, bookingId, requestedBy } = event.data;
      return {
        ...common, action: 'command_requested', actor: requestedBy, subject: `vehicle:${vehicleId}`,
        detail: { eventId: event.eventId, commandId, type: event.type, nodeId, bookingId, deadline },
      };
    }
    case 'CommandFailed': {
      const { commandId, command, vehicleId, nodeId, reason, detail } = event.data;
      return {
        ...common, action: 'command_outcome', subject: `vehicle:${vehicleId}`,
        detail: { eventId: event.eventId, commandId, type: command, outcome: 'failed', reason, detail, nodeId },
      };
    }
    case 'VehicleUnlocked':
    case 'VehicleLocked': {
      // Only the edge's answer to a command; a vehicle's own report of an unlock is not an operation.
      if (record.source.kind !== 'edge' || event.correlationId === undefined) return undefined;
      return {
        ...common, action: 'command_outcome', subject: `vehicle:${event.data.vehicleId}`,
        detail: { eventId: event.eventId, commandId: event.correlationId, outcome: 'succeeded', result: event.type, bookingId: event.data.bookingId, nodeId: record.source.id },
      };
    }
    default:
      return undefined;
  }
}
