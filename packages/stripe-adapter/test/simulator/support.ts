import Stripe from 'stripe';
import {
  type StripeSimulator,
  type StripeSimulatorOptions,
  startStripeSimulator,
} from '../../src/simulator/index';

export interface SimulatorContext {
  sim: StripeSimulator;
  /** stripe-node on the simulator, with its own retries off so every error shows. */
  stripe: Stripe;
}

/** Fast defaults: bank debits and refunds stay in flight until a helper moves them. */
export async function startSim(options: StripeSimulatorOptions = {}): Promise<SimulatorContext> {
  const sim = await startStripeSimulator({
    port: 0,
    bankSettlementDelayMs: null,
    refunds: { settleAfterMs: null },
    webhooks: { retryDelaysMs: [20, 40] },
    ...options,
  });
  const stripe = new Stripe(sim.apiKey, { ...sim.stripeOptions, maxNetworkRetries: 0 });
  return { sim, stripe };
}

/** An Express account that finished onboarding, as an organization's payout account. */
export async function onboardedAccount(
  { sim, stripe }: SimulatorContext,
  businessName = 'Riverside Family Clinic',
): Promise<Stripe.Account> {
  const account = await stripe.accounts.create({
    controller: {
      stripe_dashboard: { type: 'express' },
      fees: { payer: 'application' },
      losses: { payments: 'application' },
    },
    country: 'US',
    capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
    business_profile: { name: businessName },
  });
  return sim.testHelpers.completeOnboarding(account.id);
}

export interface InvoiceSetup {
  account: Stripe.Account;
  customer: Stripe.Customer;
  invoice: Stripe.Invoice;
}

/**
 * A draft co-pay invoice the way the gateway makes one: destination charge on behalf of the
 * organization, sent for collection, card and bank accepted, one line of `amount` cents.
 */
export async function draftInvoice(
  context: SimulatorContext,
  options: { amount?: number; email?: string | null; account?: Stripe.Account } = {},
): Promise<InvoiceSetup> {
  const { stripe } = context;
  const account = options.account ?? (await onboardedAccount(context));
  const email = options.email === undefined ? 'member@example.test' : options.email;
  const customer = await stripe.customers.create({
    ...(email === null ? {} : { email }),
    name: 'Pat Member',
    metadata: { organization: 'org_1', member: 'mem_1' },
  });
  const invoice = await stripe.invoices.create({
    customer: customer.id,
    collection_method: 'send_invoice',
    days_until_due: 30,
    auto_advance: false,
    pending_invoice_items_behavior: 'exclude',
    payment_settings: { payment_method_types: ['card', 'us_bank_account'] },
    on_behalf_of: account.id,
    transfer_data: { destination: account.id },
    description: 'Co-pay for your visit',
    metadata: { organization: 'org_1', request: 'req_1', claim: 'clm_1' },
    custom_fields: [{ name: 'Claim', value: 'CLM-0001' }],
  });
  await stripe.invoiceItems.create({
    invoice: invoice.id,
    customer: customer.id,
    amount: options.amount ?? 2500,
    currency: 'usd',
    description: 'Office visit co-pay',
    metadata: { request: 'req_1' },
  });
  return { account, customer, invoice: await stripe.invoices.retrieve(invoice.id) };
}

/** A draft invoice finalized and sent. */
export async function sentInvoice(
  context: SimulatorContext,
  options: { amount?: number } = {},
): Promise<InvoiceSetup> {
  const setup = await draftInvoice(context, options);
  const invoice = await context.stripe.invoices.sendInvoice(setup.invoice.id);
  return { ...setup, invoice };
}

/** The default PaymentIntent of a finalized invoice, through its invoice payment. */
export async function paymentIntentOf(stripe: Stripe, invoiceId: string): Promise<string> {
  const payments = await stripe.invoicePayments.list({ invoice: invoiceId });
  const intent = payments.data.find((payment) => payment.is_default)?.payment.payment_intent;
  if (intent === undefined) {
    throw new Error(`${invoiceId} has no default payment`);
  }
  return typeof intent === 'string' ? intent : intent.id;
}

/** The rejection of `promise`, which must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected the call to be rejected');
}
