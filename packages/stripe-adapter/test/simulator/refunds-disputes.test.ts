import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  type InvoiceSetup,
  rejectionOf,
  type SimulatorContext,
  sentInvoice,
  startSim,
} from './support';

/** A sent invoice paid by card: its intent and charge. */
async function paidByCard(context: SimulatorContext, amount = 10_000) {
  const setup = await sentInvoice(context, { amount });
  const outcome = await context.sim.testHelpers.payInvoiceWithCard(setup.invoice.id);
  return { ...setup, intent: outcome.paymentIntent, charge: outcome.charge as Stripe.Charge };
}

describe('refunds', () => {
  let context: SimulatorContext;

  beforeEach(async () => {
    context = await startSim();
  });

  afterEach(async () => {
    await context.sim.close();
  });

  test('a full refund by payment_intent: charge refunded, invoice still paid', async () => {
    const { invoice, intent, charge } = await paidByCard(context);

    const refund = await context.stripe.refunds.create({
      payment_intent: intent.id,
      reason: 'requested_by_customer',
      metadata: { request: 'req_1' },
    });
    const after = await context.stripe.charges.retrieve(charge.id);
    const stillPaid = await context.stripe.invoices.retrieve(invoice.id);

    expect(refund).toMatchObject({
      object: 'refund',
      amount: 10_000,
      status: 'succeeded',
      charge: charge.id,
      payment_intent: intent.id,
      reason: 'requested_by_customer',
      metadata: { request: 'req_1' },
    });
    expect(refund.id).toMatch(/^re_/);
    expect(after).toMatchObject({ amount_refunded: 10_000, refunded: true });
    expect(stillPaid.status).toBe('paid');
    expect(
      context.sim.events
        .list()
        .slice(-2)
        .map((event) => event.type),
    ).toEqual(['refund.created', 'charge.refunded']);
  });

  test('partial refunds add up, then amount_too_large, then charge_already_refunded', async () => {
    const { charge } = await paidByCard(context);

    await context.stripe.refunds.create({ charge: charge.id, amount: 3000 });
    const partly = await context.stripe.charges.retrieve(charge.id);
    const tooMuch = await rejectionOf(
      context.stripe.refunds.create({ charge: charge.id, amount: 7001 }),
    );
    await context.stripe.refunds.create({ charge: charge.id });
    const full = await context.stripe.charges.retrieve(charge.id, { expand: ['refunds'] });
    const again = await rejectionOf(
      context.stripe.refunds.create({ charge: charge.id, amount: 1 }),
    );

    expect(partly).toMatchObject({ amount_refunded: 3000, refunded: false });
    expect(tooMuch.code).toBe('amount_too_large');
    expect(tooMuch.param).toBe('amount');
    expect(full).toMatchObject({ amount_refunded: 10_000, refunded: true });
    expect(full.refunds?.data.map((refund) => refund.amount)).toEqual([7000, 3000]);
    expect(again.code).toBe('charge_already_refunded');
  });

  test('needs payment_intent or charge', async () => {
    const error = await rejectionOf(context.stripe.refunds.create({ amount: 100 }));

    expect(error.code).toBe('parameter_missing');
  });

  test('reverse_transfer takes back a proportional share, the rest at the end', async () => {
    const { charge } = await paidByCard(context, 10_001);
    const transferId = String(charge.transfer);

    const first = await context.stripe.refunds.create({
      charge: charge.id,
      amount: 3333,
      reverse_transfer: true,
    });
    const second = await context.stripe.refunds.create({
      charge: charge.id,
      reverse_transfer: true,
    });
    const transfer = await context.stripe.transfers.retrieve(transferId);
    const reversals = await context.stripe.transfers.listReversals(transferId);

    expect(first.transfer_reversal).toMatch(/^trr_/);
    expect(reversals.data.map((reversal) => reversal.amount)).toEqual([6668, 3333]);
    expect(reversals.data.at(-1)?.source_refund).toBe(first.id);
    expect(second.transfer_reversal).toBe(reversals.data[0]?.id);
    expect(transfer).toMatchObject({ amount: 10_001, amount_reversed: 10_001, reversed: true });
    expect(context.sim.events.list({ type: 'transfer.reversed' })).toHaveLength(2);
  });

  describe('pending refunds', () => {
    let pending: SimulatorContext;
    let setup: InvoiceSetup & { charge: Stripe.Charge };

    beforeEach(async () => {
      pending = await startSim({ refunds: { startPending: true, settleAfterMs: null } });
      setup = await paidByCard(pending);
    });

    afterEach(async () => {
      await pending.sim.close();
    });

    test('succeed later with refund.updated and charge.refund.updated', async () => {
      const refund = await pending.stripe.refunds.create({ charge: setup.charge.id, amount: 4000 });

      const succeeded = await pending.sim.testHelpers.succeedRefund(refund.id);
      const reread = await pending.stripe.refunds.retrieve(refund.id);
      const events = pending.sim.events.list().slice(-2);

      expect(refund).toMatchObject({ status: 'pending', pending_reason: 'processing' });
      expect(succeeded.status).toBe('succeeded');
      expect(reread.status).toBe('succeeded');
      expect(reread.pending_reason).toBeUndefined();
      expect(events.map((event) => event.type)).toEqual([
        'refund.updated',
        'charge.refund.updated',
      ]);
      expect(events[0]?.data.previous_attributes).toEqual({ status: 'pending' });
    });

    test('fail later with refund.failed, and the amount is refundable again', async () => {
      const refund = await pending.stripe.refunds.create({ charge: setup.charge.id });

      const failed = await pending.sim.testHelpers.failRefund(refund.id, {
        failureReason: 'declined',
      });
      const charge = await pending.stripe.charges.retrieve(setup.charge.id);

      expect(failed).toMatchObject({ status: 'failed', failure_reason: 'declined' });
      expect(charge).toMatchObject({ amount_refunded: 0, refunded: false });
      expect(
        pending.sim.events
          .list()
          .slice(-3)
          .map((event) => event.type),
      ).toEqual(['refund.failed', 'refund.updated', 'charge.refund.updated']);
    });

    test('a settled refund cannot be moved again', async () => {
      const refund = await pending.stripe.refunds.create({ charge: setup.charge.id });
      await pending.sim.testHelpers.succeedRefund(refund.id);

      await expect(pending.sim.testHelpers.failRefund(refund.id)).rejects.toThrow(/not pending/);
    });
  });

  test('refunds of bank payments start pending and settle after the configured delay', async () => {
    const timed = await startSim({ refunds: { settleAfterMs: 20 } });
    const { invoice } = await sentInvoice(timed);
    const { paymentIntent } = await timed.sim.testHelpers.payInvoiceWithBankAccount(invoice.id);

    const early = await rejectionOf(
      timed.stripe.refunds.create({ payment_intent: paymentIntent.id }),
    );
    await timed.sim.testHelpers.settleBankPayment(paymentIntent.id);
    const refund = await timed.stripe.refunds.create({ payment_intent: paymentIntent.id });
    const updated = await timed.sim.events.waitFor('refund.updated', { timeoutMs: 2000 });

    expect(early.code).toBe('charge_not_refundable');
    expect(refund.status).toBe('pending');
    expect(refund.destination_details?.type).toBe('us_bank_transfer');
    expect((updated.data.object as Stripe.Refund).status).toBe('succeeded');
    await timed.sim.close();
  });

  test('lists by payment_intent and updates metadata', async () => {
    const { intent, charge } = await paidByCard(context);
    const refund = await context.stripe.refunds.create({ charge: charge.id, amount: 100 });

    const listed = await context.stripe.refunds.list({ payment_intent: intent.id });
    const updated = await context.stripe.refunds.update(refund.id, { metadata: { note: 'ok' } });

    expect(listed.data.map((found) => found.id)).toEqual([refund.id]);
    expect(updated.metadata).toEqual({ note: 'ok' });
  });
});

describe('disputes', () => {
  let context: SimulatorContext;

  beforeEach(async () => {
    context = await startSim();
  });

  afterEach(async () => {
    await context.sim.close();
  });

  test('opening one marks the charge disputed and blocks refunds (charge_disputed)', async () => {
    const { charge, intent } = await paidByCard(context);

    const dispute = await context.sim.testHelpers.openDispute(charge.id, { reason: 'fraudulent' });
    const disputed = await context.stripe.charges.retrieve(charge.id);
    const refused = await rejectionOf(context.stripe.refunds.create({ charge: charge.id }));
    const fetched = await context.stripe.disputes.retrieve(dispute.id);

    expect(dispute).toMatchObject({
      object: 'dispute',
      amount: 10_000,
      charge: charge.id,
      payment_intent: intent.id,
      reason: 'fraudulent',
      status: 'needs_response',
    });
    expect(dispute.id).toMatch(/^dp_/);
    expect(disputed.disputed).toBe(true);
    expect(refused.code).toBe('charge_disputed');
    expect(fetched.id).toBe(dispute.id);
    expect(
      context.sim.events
        .list()
        .slice(-2)
        .map((event) => event.type),
    ).toEqual(['charge.dispute.created', 'charge.dispute.funds_withdrawn']);
  });

  test('closing as won reinstates the funds; as lost it only closes', async () => {
    const won = await paidByCard(context);
    const lost = await paidByCard(context);
    const first = await context.sim.testHelpers.openDispute(won.charge.id);
    const second = await context.sim.testHelpers.openDispute(lost.charge.id);

    await context.sim.testHelpers.closeDispute(first.id, 'won');
    const afterWon = context.sim.events
      .list()
      .slice(-2)
      .map((event) => event.type);
    const closed = await context.sim.testHelpers.closeDispute(second.id, 'lost');
    const afterLost = context.sim.events
      .list()
      .slice(-1)
      .map((event) => event.type);

    expect(afterWon).toEqual(['charge.dispute.closed', 'charge.dispute.funds_reinstated']);
    expect(closed.status).toBe('lost');
    expect(afterLost).toEqual(['charge.dispute.closed']);
  });

  test('accepting through POST /v1/disputes/:id/close loses it', async () => {
    const { charge } = await paidByCard(context);
    const dispute = await context.sim.testHelpers.openDispute(charge.id);

    const closed = await context.stripe.disputes.close(dispute.id);

    expect(closed.status).toBe('lost');
  });
});
