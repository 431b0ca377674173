import { describe, expect, it } from 'vitest';
import type { ClaimPaymentInput } from '../src/domain/remittance';
import { pairClaimPayments } from '../src/domain/remittance-rules';
import { aClaimPaymentInput } from '../src/testing/fixtures';

const REMITTANCE = { source: 'electronic', payerId: '1512345678', traceNumber: 'T1' } as const;

/** A claim payment of PCN-1 (unless told otherwise) in which the member owes `owed` cents. */
function payment(
  statusCode: string,
  owed: number,
  overrides: Partial<ClaimPaymentInput> = {},
): ClaimPaymentInput {
  const sign = statusCode === '22' ? -1 : 1;
  return aClaimPaymentInput('PCN-1', owed, {
    statusCode,
    chargeCents: sign * 20000,
    paidCents: sign * (20000 - Math.abs(owed)),
    payerClaimControlNumber: 'CCN-1',
    ...overrides,
  });
}

describe('pairClaimPayments', () => {
  it('leaves a claim payment alone for its claim plain', () => {
    const pairings = pairClaimPayments(REMITTANCE, [
      payment('1', 5000),
      payment('1', 3000, { patientControlNumber: 'PCN-2' }),
    ]);

    expect(pairings).toEqual(['plain', 'plain']);
  });

  it('pairs a reversal with its correction, before or after it', () => {
    const correction = payment('1', 3000, { payerClaimControlNumber: 'CCN-2' });

    expect(pairClaimPayments(REMITTANCE, [payment('22', -5000), correction])).toEqual([
      'corrected',
      'plain',
    ]);
    expect(pairClaimPayments(REMITTANCE, [correction, payment('22', -5000)])).toEqual([
      'plain',
      'corrected',
    ]);
  });

  it('nets a payment and its own reversal, with or without CLP07', () => {
    expect(pairClaimPayments(REMITTANCE, [payment('1', 5000), payment('22', -5000)])).toEqual([
      'netted',
      'netted',
    ]);

    const bare = { payerClaimControlNumber: null };
    expect(
      pairClaimPayments(REMITTANCE, [payment('1', 5000, bare), payment('22', -5000, bare)]),
    ).toEqual(['netted', 'netted']);
  });

  it('does not net a payment whose share the reversal does not negate: that is a correction', () => {
    const pairings = pairClaimPayments(REMITTANCE, [payment('1', 2000), payment('22', -5000)]);

    expect(pairings).toEqual(['plain', 'corrected']);
  });

  it('does not net a reversal with a payment after it', () => {
    const pairings = pairClaimPayments(REMITTANCE, [payment('22', -5000), payment('1', 5000)]);

    expect(pairings).toEqual(['corrected', 'plain']);
  });

  it('tangles what does not pair: a split claim, a reversal with a denial', () => {
    const split = [payment('1', 5000), payment('1', 2000, { payerClaimControlNumber: 'CCN-B' })];
    const denied = [payment('22', -5000), payment('4', 0, { payerClaimControlNumber: 'CCN-2' })];

    expect(pairClaimPayments(REMITTANCE, split)).toEqual(['tangled', 'tangled']);
    expect(pairClaimPayments(REMITTANCE, denied)).toEqual(['tangled', 'tangled']);
  });

  it('counts a repeat of a key once, and leaves the rest to the netting', () => {
    const pairings = pairClaimPayments(REMITTANCE, [
      payment('1', 5000),
      payment('1', 5000),
      payment('22', -5000),
      payment('1', 3000, { payerClaimControlNumber: 'CCN-2' }),
    ]);

    expect(pairings).toEqual(['netted', 'plain', 'netted', 'plain']);
  });
});
