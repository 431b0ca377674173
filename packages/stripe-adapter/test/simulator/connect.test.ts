import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/simulator/index';
import { onboardedAccount, rejectionOf, type SimulatorContext, startSim } from './support';

const EXPRESS: Stripe.AccountCreateParams = {
  controller: {
    stripe_dashboard: { type: 'express' },
    fees: { payer: 'application' },
    losses: { payments: 'application' },
  },
  capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
  business_profile: { name: 'Riverside Family Clinic' },
};

describe('Connect', () => {
  let context: SimulatorContext;
  let receiver: WebhookReceiver;
  let connectSecret: string;
  let platformSecret: string;

  beforeEach(async () => {
    context = await startSim();
    receiver = await startWebhookReceiver();
    connectSecret = context.sim.webhooks.addEndpoint({ url: receiver.url, connect: true }).secret;
    platformSecret = context.sim.webhooks.addEndpoint({ url: `${receiver.url}?platform` }).secret;
  });

  afterEach(async () => {
    await receiver.close();
    await context.sim.close();
  });

  describe('accounts', () => {
    test('a new Express account cannot charge yet and owes requirements', async () => {
      const account = await context.stripe.accounts.create(EXPRESS);

      expect(account.id).toMatch(/^acct_/);
      expect(account.type).toBe('express');
      expect(account.controller).toMatchObject({
        type: 'application',
        stripe_dashboard: { type: 'express' },
        fees: { payer: 'application' },
      });
      expect(account.charges_enabled).toBe(false);
      expect(account.payouts_enabled).toBe(false);
      expect(account.details_submitted).toBe(false);
      expect(account.requirements?.currently_due).toContain('external_account');
      expect(account.capabilities).toEqual({ card_payments: 'inactive', transfers: 'inactive' });
    });

    test('the legacy `type: express` makes the same kind of account', async () => {
      const account = await context.stripe.accounts.create({ type: 'express', country: 'US' });

      expect(account.type).toBe('express');
      expect(account.controller?.stripe_dashboard?.type).toBe('express');
    });

    test('retrieving an unknown account is a 404', async () => {
      const error = await rejectionOf(context.stripe.accounts.retrieve('acct_missing'));

      expect(error.statusCode).toBe(404);
      expect(error.code).toBe('resource_missing');
    });

    test('GET /v1/account with Stripe-Account answers that account', async () => {
      const account = await context.stripe.accounts.create(EXPRESS);

      const current = await context.stripe.accounts.retrieveCurrent(
        {},
        { stripeAccount: account.id },
      );

      expect(current.id).toBe(account.id);
    });
  });

  describe('account links', () => {
    test('expire 300 seconds after creation and point at the simulator', async () => {
      const account = await context.stripe.accounts.create(EXPRESS);

      const link = await context.stripe.accountLinks.create({
        account: account.id,
        type: 'account_onboarding',
        refresh_url: 'https://platform.example/refresh',
        return_url: 'https://platform.example/return',
      });

      expect(link.object).toBe('account_link');
      expect(link.expires_at - link.created).toBe(300);
      expect(link.url.startsWith(`${context.sim.url}/`)).toBe(true);
    });

    test('account_update links are refused for Express accounts', async () => {
      const account = await context.stripe.accounts.create(EXPRESS);

      const error = await rejectionOf(
        context.stripe.accountLinks.create({ account: account.id, type: 'account_update' }),
      );

      expect(error.statusCode).toBe(400);
      expect(error.param).toBe('type');
    });

    test('the onboarding form enables the account; account.updated goes to Connect', async () => {
      const account = await context.stripe.accounts.create(EXPRESS);
      const link = await context.stripe.accountLinks.create({
        account: account.id,
        type: 'account_onboarding',
        refresh_url: 'https://platform.example/refresh',
        return_url: 'https://platform.example/return',
      });

      const form = await fetch(link.url);
      const html = await form.text();
      const submitted = await fetch(link.url, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'business_name=Riverside+Pediatrics',
      });
      const after = await context.stripe.accounts.retrieve(account.id);
      await context.sim.webhooks.drain();

      expect(form.status).toBe(200);
      expect(html).toContain('<form method="post">');
      expect(submitted.status).toBe(303);
      expect(submitted.headers.get('location')).toBe('https://platform.example/return');
      expect(after).toMatchObject({
        charges_enabled: true,
        payouts_enabled: true,
        details_submitted: true,
        capabilities: { card_payments: 'active', transfers: 'active' },
      });
      expect(after.requirements?.currently_due).toEqual([]);
      expect(after.requirements?.disabled_reason).toBeNull();
      expect(after.business_profile?.name).toBe('Riverside Pediatrics');

      const delivered = receiver.received.filter(
        (webhook) => webhook.eventType === 'account.updated',
      );
      expect(delivered).toHaveLength(1);
      const event = context.stripe.webhooks.constructEvent(
        delivered[0]?.body ?? '',
        delivered[0]?.signature ?? '',
        connectSecret,
      );
      expect(event.account).toBe(account.id);
      expect(event.data.previous_attributes).toMatchObject({
        charges_enabled: false,
        payouts_enabled: false,
        details_submitted: false,
      });
      expect(() =>
        context.stripe.webhooks.constructEvent(
          delivered[0]?.body ?? '',
          delivered[0]?.signature ?? '',
          platformSecret,
        ),
      ).toThrow();
    });

    test('a link is single use: a second visit goes to refresh_url', async () => {
      const account = await context.stripe.accounts.create(EXPRESS);
      const link = await context.stripe.accountLinks.create({
        account: account.id,
        type: 'account_onboarding',
        refresh_url: 'https://platform.example/refresh',
      });

      await fetch(link.url);
      const again = await fetch(link.url, { redirect: 'manual' });

      expect(again.status).toBe(303);
      expect(again.headers.get('location')).toBe('https://platform.example/refresh');
    });

    test('an expired link goes to refresh_url', async () => {
      const account = await context.stripe.accounts.create(EXPRESS);
      const link = await context.stripe.accountLinks.create({
        account: account.id,
        type: 'account_onboarding',
        refresh_url: 'https://platform.example/refresh',
      });

      await context.sim.clock.advance(301_000);
      const visit = await fetch(link.url, { redirect: 'manual' });

      expect(visit.status).toBe(303);
      expect(visit.headers.get('location')).toBe('https://platform.example/refresh');
    });
  });

  describe('login links', () => {
    test('are refused before onboarding and given after it', async () => {
      const account = await context.stripe.accounts.create(EXPRESS);

      const early = await rejectionOf(context.stripe.accounts.createLoginLink(account.id));
      await context.sim.testHelpers.completeOnboarding(account.id);
      const link = await context.stripe.accounts.createLoginLink(account.id);
      const dashboard = await fetch(link.url);

      expect(early.statusCode).toBe(400);
      expect(link.object).toBe('login_link');
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toContain('Charges enabled: yes');
    });
  });

  describe('test helpers', () => {
    test('restrictAccount disables charges and reports what is due', async () => {
      const account = await onboardedAccount(context);

      const restricted = await context.sim.testHelpers.restrictAccount(account.id, {
        currentlyDue: ['individual.verification.document'],
      });
      const event = await context.sim.events.waitFor('account.updated', {
        predicate: (candidate) =>
          (candidate.data.object as Stripe.Account).charges_enabled === false,
      });

      expect(restricted.charges_enabled).toBe(false);
      expect(restricted.requirements?.currently_due).toEqual(['individual.verification.document']);
      expect(restricted.requirements?.disabled_reason).toBe('requirements.past_due');
      expect(event.data.previous_attributes).toMatchObject({ charges_enabled: true });
    });
  });
});
