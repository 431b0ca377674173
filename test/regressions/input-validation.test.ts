import { asId, type ClaimPaymentInput } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { aWorld } from '../support/world';
import { claimPayment, ORG, remittance } from './support';

describe('claims refuse amounts that make no sense', () => {
  // `recordVisitPayment` refuses a negative visit payment but claim creation accepts one, and
  // remittance billing then adds it to what the member owes (50.00 becomes 70.00).
  test('a claim created with a negative visit payment is refused, naming the field', async () => {
    const world = aWorld();
    await world.organization('org_1', { generateFromRemittance: true });
    const someone = await world.member('org_1');

    const created = await world.sdk.claims.create(ORG, {
      memberId: someone.id,
      patientControlNumber: 'PCN-1',
      dateOfService: '2024-01-02',
      chargeAmount: '200.00',
      collectedAtVisit: '-20.00',
    });
    await world.sdk.remittances.ingest(ORG, remittance('T1', [claimPayment('PCN-1', 5000)]));

    expect(created.isErr() && created.error.details).toMatchObject({ field: 'collectedAtVisit' });
    const billed = (await world.sdk.requests.list(ORG))._unsafeUnwrap();
    expect(billed.map((request) => request.amount.minor)).not.toContain(7000);
  });

  // A claim's charge is what was billed to the payer; a negative or zero charge is a typing
  // mistake that should be caught where it is entered.
  test.each(['-200.00', '0'])('a claim with a charge of %s is refused', async (charge) => {
    const world = aWorld();
    await world.organization('org_1');
    const someone = await world.member('org_1');

    const created = await world.sdk.claims.create(ORG, {
      memberId: someone.id,
      patientControlNumber: 'PCN-1',
      dateOfService: '2024-01-02',
      chargeAmount: charge,
    });

    expect(created.isErr() && created.error.details).toMatchObject({ field: 'chargeAmount' });
  });
});

describe('one organization’s ids say nothing about another’s', () => {
  // Hosts know members by their own number (an EHR member number), and two clinics may both
  // have "1001"; the second clinic must not be refused, nor learn the first has that member.
  test('two organizations can each create a member with the external id 1001', async () => {
    const world = aWorld();
    await world.organization('org_1');
    await world.organization('org_2');
    await world.sdk.members.create(ORG, { externalId: '1001', name: 'Jane Doe' });

    const second = await world.sdk.members.create(asId('org_2'), {
      externalId: '1001',
      name: 'Sam Roe',
    });

    expect(second.isOk() ? second.value.name : second.error.code).toBe('Sam Roe');
    const first = await world.sdk.members.findByExternalId(ORG, '1001');
    expect(first._unsafeUnwrap().name).toBe('Jane Doe');
  });
});

describe('a remittance with a broken claim payment', () => {
  // A mapper bug or a truncated file can hand in a null claim payment; ingestion must skip it and
  // return a Result, not throw a TypeError that loses the whole remittance.
  test('a null claim payment is skipped with a reason, and the others are billed', async () => {
    const world = aWorld();
    await world.organization('org_1', { generateFromRemittance: true });
    const someone = await world.member('org_1');
    await world.claim('org_1', someone.id, { patientControlNumber: 'PCN-1' });
    const input = remittance('T1', [claimPayment('PCN-1', 5000)]);

    const ingested = world.sdk.remittances.ingest(ORG, {
      ...input,
      claimPayments: [null as unknown as ClaimPaymentInput, ...input.claimPayments],
    });

    const report = (await ingested)._unsafeUnwrap();
    expect(report.skipped).toHaveLength(1);
    expect(report.created.map((created) => created.amountMinor)).toEqual([5000]);
  });
});

describe('a remittance in another currency than the organization bills in', () => {
  // An 835 is in US dollars, yet for an organization billing in CAD the payer's 50.00 USD becomes
  // a 50.00 CAD request without a word.
  test('a USD remittance for an organization billing in CAD creates no CAD request', async () => {
    const world = aWorld();
    await world.organization('org_1', { generateFromRemittance: true, currency: 'cad' });
    const someone = await world.member('org_1');
    await world.claim('org_1', someone.id, { patientControlNumber: 'PCN-1' });

    await world.sdk.remittances.ingest(ORG, remittance('T1', [claimPayment('PCN-1', 5000)]));

    const requests = (await world.sdk.requests.list(ORG))._unsafeUnwrap();
    expect(requests.map((request) => request.amount.currency)).not.toContain('cad');
  });
});
