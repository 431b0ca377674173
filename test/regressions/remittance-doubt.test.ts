import type { ClaimPaymentInput } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { aWorld, type World } from '../support/world';
import {
  claimOf,
  claimPayment,
  clinicWithClaims,
  ingestClaimPayments,
  notesOn,
  ORG,
  refundedMinor,
  remittance,
  requestsOf,
  reversal,
  sendAndPay,
} from './support';

// Remittances that leave the bill in doubt: several claim payments for one claim in a file,
// what people decided about a claim's requests, automation turned off, visit payments after
// the invoice. Each test is a situation a careful biller meets and states what happens.

async function dryRun(world: World, trace: string, claimPayments: ClaimPaymentInput[]) {
  return ingestClaimPayments(world, trace, claimPayments, { dryRun: true });
}

/** What the claim's open requests still ask of the member, less what was given back. */
async function billedOnOpenRequests(world: World): Promise<number> {
  return (await requestsOf(world))
    .filter((request) => request.status !== 'canceled' && request.status !== 'refunded')
    .reduce((total, request) => total + request.amount.minor - request.amountRefunded.minor, 0);
}

describe('several processed claim payments for one claim in one remittance', () => {
  // The payer split one claim into two claim payments with their own CLP07s (50.00 and 20.00
  // owed); the second restated the whole claim to 20.00 and 50.00 vanished without a hold.
  test('a split claim (two CLP07s, no reversal) is not billed for its last part only', async () => {
    const world = await clinicWithClaims(['PCN-1']);

    const report = await ingestClaimPayments(world, 'T1', [
      claimPayment('PCN-1', 5000, { payerClaimControlNumber: 'CCN-A', chargeCents: 12000 }),
      claimPayment('PCN-1', 2000, { payerClaimControlNumber: 'CCN-B', chargeCents: 8000 }),
    ]);

    expect(report.created).toEqual([]);
    expect(report.heldForReview.map((item) => item.patientControlNumber)).toEqual([
      'PCN-1',
      'PCN-1',
    ]);
    expect(await billedOnOpenRequests(world)).toBe(0);
  });

  // Staff preview the same split file: the dry run promises two requests (50.00 and 20.00)
  // where the real run makes one request of 20.00.
  test('a dry run of two claim payments for one claim reports what the real run does', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const payments = [
      claimPayment('PCN-1', 5000, { payerClaimControlNumber: 'CCN-A', chargeCents: 12000 }),
      claimPayment('PCN-1', 2000, { payerClaimControlNumber: 'CCN-B', chargeCents: 8000 }),
    ];

    const preview = await dryRun(world, 'T1', payments);
    const real = await ingestClaimPayments(world, 'T1', payments);

    expect(preview.created.map((item) => item.amountMinor)).toEqual(
      real.created.map((item) => item.amountMinor),
    );
    expect(preview.changed.map((item) => item.toMinor)).toEqual(
      real.changed.map((item) => item.toMinor),
    );
  });
});

describe('a claim paid and reversed in the same remittance', () => {
  // The payer paid the claim and took the payment back in the same 835 (CLP07 the same, the
  // reversal's amounts the original's negated): the reversal was taken as "corrected" by the
  // very claim payment it reverses, and the member got a 50.00 bill for a claim the payer
  // withdrew.
  test('the member is not billed for a claim payment reversed in the same file', async () => {
    const world = await clinicWithClaims(['PCN-1']);

    const report = await ingestClaimPayments(world, 'T1', [
      claimPayment('PCN-1', 5000),
      reversal('PCN-1', 5000),
    ]);

    expect(report.created).toEqual([]);
    expect(report.skipped).toEqual([
      expect.objectContaining({ statusCode: '1', reason: expect.stringMatching(/^paid and rev/) }),
      expect.objectContaining({ statusCode: '22', reason: expect.stringMatching(/^paid and rev/) }),
    ]);
    expect(await requestsOf(world)).toEqual([]);
  });
});

describe('a claim with a primary and a secondary payer', () => {
  // The primary billed 50.00; the secondary (status 2) then paid all of it and the draft was
  // canceled. The primary later reprocesses its own payment (reversal and correction, the
  // member's share still 50.00 by its figures): a new 50.00 request went to the member for
  // money the secondary had already paid.
  test("a primary's correction after the secondary paid bills the member nothing", async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    const secondary = {
      ...remittance('S1', [claimPayment('PCN-1', 0, { statusCode: '2', paidCents: 5000 })]),
      payerId: '9999999999',
      payerName: 'SECONDARY PLAN',
    };
    (await world.sdk.remittances.ingest(ORG, secondary))._unsafeUnwrap();
    expect(await billedOnOpenRequests(world)).toBe(0);

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 5000, { payerClaimControlNumber: 'CCN-2', paidCents: 14000 }),
    ]);

    expect(report.created).toEqual([]);
    expect(report.heldForReview).toEqual([
      expect.objectContaining({
        patientControlNumber: 'PCN-1',
        reason: expect.stringContaining('a later payer already adjudicated the claim (CLP02 2'),
      }),
    ]);
    expect(await billedOnOpenRequests(world)).toBe(0);
  });

  // The secondary's own figures, after the primary's, restate the claim as usual.
  test('the secondary after the primary restates the bill', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    const secondary = {
      ...remittance('S1', [claimPayment('PCN-1', 1000, { statusCode: '2', paidCents: 4000 })]),
      payerId: '9999999999',
    };

    const report = (await world.sdk.remittances.ingest(ORG, secondary))._unsafeUnwrap();

    expect(report.changed).toEqual([expect.objectContaining({ fromMinor: 5000, toMinor: 1000 })]);
    expect(report.heldForReview).toEqual([]);
  });
});

describe('what staff decided about a remittance request', () => {
  // Staff wrote off the member's 50.00 (canceled the request). The payer then reprocesses the
  // claim with the same 50.00 share: a brand new request for the money staff forgave goes out,
  // with nobody asked.
  test('a correction with the same share does not re-bill a request staff canceled', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    const [draft] = await requestsOf(world);
    (await world.sdk.requests.cancel(ORG, draft!.id, 'staff_1'))._unsafeUnwrap();

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 5000, { payerClaimControlNumber: 'CCN-2', paidCents: 14000 }),
    ]);

    expect(report.created).toEqual([]);
    expect(report.heldForReview.map((item) => item.patientControlNumber)).toContain('PCN-1');
  });

  // Staff gave the member a 20.00 courtesy discount on the remittance's 50.00 draft. The
  // payer's correction only changes its own payment (the share stays 50.00), yet the draft is
  // amended back to 50.00 and the discount is gone without staff seeing it.
  test('a correction with the same share does not undo a staff edit unseen', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    const [draft] = await requestsOf(world);
    (
      await world.sdk.requests.edit(ORG, draft!.id, { amount: '30.00', editedBy: 'staff_1' })
    )._unsafeUnwrap();

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 5000, { payerClaimControlNumber: 'CCN-2', paidCents: 14000 }),
    ]);

    expect((await world.request('org_1', draft!.id)).amount.minor).toBe(3000);
    expect(report.heldForReview).toEqual([
      expect.objectContaining({ requestId: draft!.id, reason: expect.stringContaining('staff') }),
    ]);
  });
});

describe('automation turned off after a remittance billed the claim', () => {
  // The clinic turned automation off while a 50.00 draft from an earlier 835 waited. A
  // correction to 20.00 is filed as "skipped: automation is off" and the 50.00 draft goes out
  // in the next batch: 30.00 the payer says the member does not owe, and staff were not told.
  test('a correction that contradicts an open remittance draft reaches staff', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    const [draft] = await requestsOf(world);
    (
      await world.sdk.organizations.configure('org_1', { generateFromRemittance: false })
    )._unsafeUnwrap();

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 2000, { payerClaimControlNumber: 'CCN-2' }),
    ]);

    expect(report.heldForReview).toEqual([
      expect.objectContaining({ requestId: draft!.id, patientControlNumber: 'PCN-1' }),
    ]);
    expect(await notesOn(world, draft!.id)).toHaveLength(1);
  });
});

describe('a remittance delivered twice', () => {
  // The payer split a claim under one key (held for review, noted on the request). The same
  // 835 arrives again: the redelivery writes a second note, so the request's trail says two
  // remittances wait on it.
  test('the redelivery of a held split adds no second note', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const split = claimPayment('PCN-1', 2000, { chargeCents: 10000 });
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000), split]);
    const [request] = await requestsOf(world);

    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000), split]);

    expect(await notesOn(world, request!.id)).toHaveLength(1);
  });
});

describe('a correction billing what the claim already bills', () => {
  // The member has no email, so the batch held the 50.00 draft for a delivery channel. The
  // payer's correction states the same 50.00: the README says the same amount changes nothing,
  // yet the draft is "amended" from 50.00 to 50.00, its hold dropped and its revision bumped.
  test('the same amount leaves a draft held by the batch untouched', async () => {
    const world = aWorld();
    await world.organization('org_1', { generateFromRemittance: true });
    const member = await world.member('org_1', { email: null, phone: null });
    await world.claim('org_1', member.id, { patientControlNumber: 'PCN-1' });
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    await world.sdk.batch.runNow(ORG);
    const [held] = await requestsOf(world);
    expect(held?.hold?.code).toBe('no_delivery_channel');

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 5000, { payerClaimControlNumber: 'CCN-2', paidCents: 14000 }),
    ]);

    expect(report.changed).toEqual([]);
    const after = await world.request('org_1', held!.id);
    expect(after).toMatchObject({
      revision: held!.revision,
      hold: { code: 'no_delivery_channel' },
    });
  });
});

describe('a reversal paired with a denial', () => {
  // The payer reverses its payment and re-adjudicates the claim as denied (status 4), the
  // denial stating 50.00 patient responsibility. The reversal is taken as "alone" and the
  // member's paid 50.00 is refunded automatically, on a denial staff must look at first.
  test('the member’s payment is not refunded before staff see the denial', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    world.gateway.refundsStartAs = 'succeeded';
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    const [paid] = await requestsOf(world);
    await sendAndPay(world, paid!.id);

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 5000, {
        statusCode: '4',
        paidCents: 0,
        payerClaimControlNumber: 'CCN-2',
      }),
    ]);

    expect(refundedMinor(world)).toBe(0);
    expect(report.heldForReview.map((item) => item.patientControlNumber)).toContain('PCN-1');
  });
});

describe('a visit payment recorded after the invoice went out', () => {
  // The remittance's 50.00 invoice is with the member when the nightly sync records the 20.00
  // co-pay paid at the desk. The invoice keeps 50.00 "for staff to settle", yet nothing on
  // it tells staff: the member overpays 20.00 unseen.
  test('the sent invoice gets a note for staff', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    await world.sdk.batch.runNow(ORG);
    const [sent] = await requestsOf(world);
    expect(sent?.status).toBe('sent');
    const claim = await claimOf(world, 'PCN-1');

    (await world.sdk.claims.recordVisitPayment(ORG, claim.id, '20.00'))._unsafeUnwrap();

    expect(await notesOn(world, sent!.id)).toHaveLength(1);
  });
});
