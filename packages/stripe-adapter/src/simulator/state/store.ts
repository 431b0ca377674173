import type Stripe from 'stripe';

/** The partition key of the platform account (requests without `Stripe-Account`). */
export const PLATFORM = 'platform';

/** An invoice plus what Stripe keeps about it but no longer echoes on the object. */
export interface InvoiceRecord {
  invoice: Stripe.Invoice;
  /** Destination-charge routing, handed to the invoice's PaymentIntents. */
  transferData: { destination: string; amount: number | null } | null;
  applicationFeeAmount: number | null;
  daysUntilDue: number | null;
  /** The secret part of `hosted_invoice_url`, set on finalization. */
  hostedToken: string | null;
  defaultPaymentIntentId: string | null;
  /** Whether customer_* fields still follow the customer (until finalization). */
  followsCustomer: boolean;
}

/** How a PaymentIntent is being paid, when a bank debit is in flight. */
export interface BankDebit {
  accountNumber: string;
  routingNumber: string;
}

export interface PaymentIntentRecord {
  intent: Stripe.PaymentIntent;
  invoiceId: string | null;
  bankDebit: BankDebit | null;
}

export interface WebhookEndpointRecord {
  endpoint: Stripe.WebhookEndpoint;
  /** The signing secret; `endpoint.secret` is only shown in the create response. */
  secret: string;
  /** Partition that registered it. */
  owner: string;
  connect: boolean;
}

export interface AccountLinkRecord {
  token: string;
  account: string;
  type: string;
  refreshUrl: string | null;
  returnUrl: string | null;
  expiresAt: number;
  /** Links are single use: the first visit spends them. */
  visited: boolean;
  completed: boolean;
}

/**
 * The objects of one account. Connected accounts each get their own, so an id created under
 * one `Stripe-Account` is missing under another, as Stripe partitions them.
 */
export class Partition {
  readonly customers = new Map<string, Stripe.Customer>();
  readonly deletedCustomers = new Set<string>();
  readonly invoiceItems = new Map<string, Stripe.InvoiceItem>();
  readonly invoices = new Map<string, InvoiceRecord>();
  readonly invoicePayments = new Map<string, Stripe.InvoicePayment>();
  readonly paymentIntents = new Map<string, PaymentIntentRecord>();
  readonly charges = new Map<string, Stripe.Charge>();
  readonly refunds = new Map<string, Stripe.Refund>();
  readonly disputes = new Map<string, Stripe.Dispute>();
  readonly transfers = new Map<string, Stripe.Transfer>();
  readonly transferReversals = new Map<string, Stripe.TransferReversal>();
  readonly events = new Map<string, Stripe.Event>();
  readonly webhookEndpoints = new Map<string, WebhookEndpointRecord>();
  /** Connected accounts; only the platform partition holds any. */
  readonly accounts = new Map<string, Stripe.Account>();

  constructor(readonly key: string) {}

  /** The `account` field of this partition's events; absent for the platform. */
  get eventAccount(): string | undefined {
    return this.key === PLATFORM ? undefined : this.key;
  }
}
