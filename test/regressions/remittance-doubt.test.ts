import { type ClaimPaymentInput, money } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { aWorld, type World } from '../support/world';
import {
  claimOf,
  claimPayment,
  clinicWithClaims,
  ingestClaimPayments,
  notesOn,
  ORG,
  paidClaim,
  refundedMinor,
  remittance,
  requestsOf,
  reversal,
  sendAndPay,
  sentClaim,
  stillBilled,
} from './support';

// Remittances that leave the bill in doubt: several claim payments for one claim in a file,
// what people decided about a claim's requests, automation turned off, visit payments after
// the invoice. Each test is a situation a careful biller meets and states what happens.

async function dryRun(world: World, trace: string, claimPayments: ClaimPaymentInput[]) {
  return ingestClaimPayments(world, trace, claimPayments, { dryRun: true });
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
    expect(await stillBilled(world)).toBe(0);
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
    expect(await stillBilled(world)).toBe(0);

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
    expect(await stillBilled(world)).toBe(0);
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
    const { world } = await paidClaim();

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
    const { world, sent } = await sentClaim();
    const claim = await claimOf(world, 'PCN-1');

    (await world.sdk.claims.recordVisitPayment(ORG, claim.id, '20.00'))._unsafeUnwrap();

    expect(await notesOn(world, sent!.id)).toHaveLength(1);
  });
});

describe('a payment and its own reversal in one file, without CLP07', () => {
  // A small payer that sends no CLP07 pays the claim and takes it back in the same 835: the
  // reversal is taken as "corrected" by the payment it reverses, and the member gets 50.00.
  test('the member is not billed for a payment reversed in the same file', async () => {
    const world = await clinicWithClaims(['PCN-1']);

    const report = await ingestClaimPayments(world, 'T1', [
      claimPayment('PCN-1', 5000, { payerClaimControlNumber: null }),
      { ...reversal('PCN-1', 5000), payerClaimControlNumber: null },
    ]);

    expect(report.created).toEqual([]);
    expect(await stillBilled(world)).toBe(0);
  });
});

describe('a correction listed before the reversal it follows, under the same CLP07', () => {
  // The payer moves 30.00 from PR-1 to a contractual CO-45 (payment unchanged) and lists the
  // correction before the reversal, both under the claim's CLP07: the pair is "netted" as a
  // payment and its own reversal, and the member's 50.00 draft stays where 20.00 is owed.
  test('the draft follows the correction to 20.00', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000, { paidCents: 15000 })]);

    const report = await ingestClaimPayments(world, 'T2', [
      claimPayment('PCN-1', 2000, { paidCents: 15000 }),
      reversal('PCN-1', 5000),
    ]);

    const billedOrHeld = report.changed.length + report.heldForReview.length;
    expect(billedOrHeld).toBeGreaterThan(0);
    expect(await stillBilled(world)).not.toBe(5000);
  });
});

describe('what staff gave back to the member', () => {
  // The member paid 50.00; staff canceled the request (a hardship write-off, which refunds the
  // card). The payer's routine readjudication, same 50.00 share, bills a brand new 50.00 unseen.
  test('a correction does not re-bill a paid request staff canceled and refunded', async () => {
    const { world, paid } = await paidClaim();
    (await world.sdk.requests.cancel(ORG, paid!.id, 'staff_1'))._unsafeUnwrap();
    expect((await world.request('org_1', paid!.id)).status).toBe('refunded');

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 5000, { payerClaimControlNumber: 'CCN-2', paidCents: 14000 }),
    ]);

    expect(report.created).toEqual([]);
    expect(report.heldForReview.map((item) => item.patientControlNumber)).toContain('PCN-1');
  });

  // Staff refunded 20.00 of a paid 50.00 in Stripe's dashboard as a courtesy. A readjudication
  // with the same 50.00 share bills the 20.00 again in a new request, and nobody is told.
  test('a correction does not re-bill a courtesy refund staff made by hand unseen', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    const [paid] = await requestsOf(world);
    const invoiceId = await sendAndPay(world, paid!.id);
    await world.deliver(world.gateway.refundOutside(invoiceId, money(2000, 'usd')));

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 5000, { payerClaimControlNumber: 'CCN-2', paidCents: 14000 }),
    ]);

    expect(report.created).toEqual([]);
    expect(report.heldForReview.map((item) => item.patientControlNumber)).toContain('PCN-1');
  });
});

describe('a split claim whose other part could not be read', () => {
  // The payer splits the claim under CLP07s A (50.00) and B (20.00); B has a broken service
  // date. A alone is billed as the whole claim, where a readable split would be held.
  test('the readable part is not billed as the whole claim', async () => {
    const world = await clinicWithClaims(['PCN-1']);

    const report = await ingestClaimPayments(world, 'T1', [
      claimPayment('PCN-1', 5000, { payerClaimControlNumber: 'A', chargeCents: 12000 }),
      claimPayment('PCN-1', 2000, {
        payerClaimControlNumber: 'B',
        chargeCents: 8000,
        serviceDate: '2024-02-30',
      }),
    ]);

    expect(report.created).toEqual([]);
    expect(report.heldForReview.map((item) => item.patientControlNumber)).toContain('PCN-1');
  });
});

describe('claim payments that change nothing leave the claim as it was', () => {
  // The payer paid 130.00 under CLP07 X and reversed it in the same file. The README says the
  // claim stays as it was, yet the claim now shows 130.00 paid, 70.00 owed and CLP07 X.
  test("a netted pair does not overwrite the claim's payer figures", async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    const before = await claimOf(world, 'PCN-1');

    await ingestClaimPayments(world, 'T2', [
      claimPayment('PCN-1', 7000, { payerClaimControlNumber: 'X' }),
      { ...reversal('PCN-1', 7000), payerClaimControlNumber: 'X' },
    ]);

    const after = await claimOf(world, 'PCN-1');
    expect({
      paid: after.paidAmount?.minor,
      owed: after.patientResponsibility?.minor,
      ccn: after.payerClaimControlNumber,
    }).toEqual({
      paid: before.paidAmount?.minor,
      owed: before.patientResponsibility?.minor,
      ccn: before.payerClaimControlNumber,
    });
  });
});

// Holds must not reach staff when nothing about the member's bill is in doubt.

describe('review holds with nothing for staff to decide', () => {
  // Medicare readjusts a crossover claim it had forwarded (CLP02 19) and forwards it again
  // (22 + 19). Nothing was ever billed, nothing would be: both land in the review queue.
  test('a reversal and a new forward of a claim never billed are not held', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000, { statusCode: '19' })]);

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 4000, { statusCode: '19', payerClaimControlNumber: 'CCN-2' }),
    ]);

    expect(report.heldForReview).toEqual([]);
  });

  // The payer splits a claim it pays in full into two CLP07s, the member owing nothing on
  // either: two review items for a claim no request could ever come from.
  test('a split claim the payer paid in full is not held', async () => {
    const world = await clinicWithClaims(['PCN-1']);

    const report = await ingestClaimPayments(world, 'T1', [
      claimPayment('PCN-1', 0, { payerClaimControlNumber: 'A', chargeCents: 12000 }),
      claimPayment('PCN-1', 0, { payerClaimControlNumber: 'B', chargeCents: 8000 }),
    ]);

    expect(report.heldForReview).toEqual([]);
  });

  // The secondary paid what the primary left (member owes 0); the primary then readjudicates
  // and now also says the member owes 0. Nothing is billed or would be, yet it is held.
  test("a primary's readjudication to zero after the secondary is not held", async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    const secondary = {
      ...remittance('S1', [claimPayment('PCN-1', 0, { statusCode: '2', paidCents: 5000 })]),
      payerId: '9999999999',
    };
    (await world.sdk.remittances.ingest(ORG, secondary))._unsafeUnwrap();

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 0, { payerClaimControlNumber: 'CCN-2' }),
    ]);

    expect(report.heldForReview).toEqual([]);
    expect(await stillBilled(world)).toBe(0);
  });

  // Automation is off and a 50.00 draft waits; the next 835 pays and reverses another claim
  // payment for the claim (same CLP07, netted): both come back as review items to "compare".
  test('with automation off, a payment and its own reversal are not held', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    (
      await world.sdk.organizations.configure('org_1', { generateFromRemittance: false })
    )._unsafeUnwrap();

    const report = await ingestClaimPayments(world, 'T2', [
      claimPayment('PCN-1', 3000, { payerClaimControlNumber: 'X' }),
      { ...reversal('PCN-1', 3000), payerClaimControlNumber: 'X' },
    ]);

    expect(report.heldForReview).toEqual([]);
  });
});

describe('a staff edit that changed nothing the member owes', () => {
  // Staff only added a line to the draft's description; from then on every correction of
  // the claim is held as "staff changed it by hand", and the member is billed the old 50.00
  // where the payer now says 20.00.
  test('a description-only edit does not stop a correction of the amount', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
    const [draft] = await requestsOf(world);
    (
      await world.sdk.requests.edit(ORG, draft!.id, {
        description: 'Office visit on January 2',
        editedBy: 'staff_1',
      })
    )._unsafeUnwrap();

    const report = await ingestClaimPayments(world, 'T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 2000, { payerClaimControlNumber: 'CCN-2' }),
    ]);

    expect(report.heldForReview).toEqual([]);
    expect((await world.request('org_1', draft!.id)).amount.minor).toBe(2000);
  });
});
