import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent } from '@fleetwire/protocol';
import { eventDataFixture } from '@fleetwire/protocol/testing';
import { describe, expect, it } from 'vitest';
import { createPseudonymiser, loadPseudonymKey, pseudonymiseEvent } from './pseudonyms.js';

describe('customer pseudonyms', () => {
  it('are stable per key and customer, differ between keys and customers, and fit an entity id', () => {
    const one = createPseudonymiser(Buffer.alloc(32, 1));
    const other = createPseudonymiser(Buffer.alloc(32, 2));
    expect(one('cu-1')).toBe(one('cu-1'));
    expect(one('cu-1')).not.toBe(one('cu-2'));
    expect(one('cu-1')).not.toBe(other('cu-1'));
    expect(one('cu-1')).toMatch(/^p1_[A-Za-z0-9_-]{43}$/);
    expect(() => createPseudonymiser(Buffer.alloc(16))).toThrow(/at least 32 bytes/);
  });

  it('replace the customer reference of a booking and leave other events alone', () => {
    const pseudonymise = createPseudonymiser(Buffer.alloc(32, 1));
    const booked = createEvent('VehicleBooked', { eventId: 'booking:a:1', source: 'service:booking', subject: { kind: 'vehicle', id: 'VH-0001' }, data: eventDataFixture('VehicleBooked') });
    const paid = createEvent('PaymentProcessed', { eventId: 'payment:a:1', source: 'service:payment', subject: { kind: 'booking', id: 'booking-0007' }, data: eventDataFixture('PaymentProcessed') });
    expect(pseudonymiseEvent(booked, pseudonymise)).toEqual({ ...booked, data: { ...booked.data, customerRef: pseudonymise('cust-5f2a') } });
    expect(booked.data.customerRef).toBe('cust-5f2a');
    expect(pseudonymiseEvent(paid, pseudonymise)).toBe(paid);
  });

  it('keep their key in a file of their own, created once with mode 600', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fw-pseudonym-')), 'keys', 'pseudonym.key');
    const key = loadPseudonymKey(file);
    expect(key).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadPseudonymKey(file)).toEqual(key);
    expect(readFileSync(file, 'utf8').trim()).toBe(key.toString('hex'));
  });
});
