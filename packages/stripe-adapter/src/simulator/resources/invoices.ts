/** Invoices as documents: create, edit, delete, read, list and search. */
import type Stripe from 'stripe';
import { hasAttachedPayments } from '../engine/invoice-settlement';
import {
  invalidRequest,
  invalidTransition,
  parameterInvalid,
  parameterMissing,
  resourceMissing,
} from '../http/errors';
import { newestFirst, paginate, timestampFilter } from '../http/list';
import { acceptedParams, type ParamReader } from '../http/params';
import { type ApiCall, type Route, route } from '../http/routes';
import { compileQuery, type SearchSchema, searchPage } from '../http/search';
import type { Simulation } from '../state/simulation';
import type { InvoiceRecord, Partition } from '../state/store';
import { businessName, findAccount } from './accounts';
import { customerSnapshot, findCustomer, indexedBy } from './customers';
import { syncInvoiceLines } from './invoice-items';

/** Stripe's documented limits on invoice custom fields. */
const MAX_CUSTOM_FIELDS = 4;
const MAX_CUSTOM_FIELD_NAME = 40;
const MAX_CUSTOM_FIELD_VALUE = 140;

const SECONDS_PER_DAY = 86_400;

export function findInvoice(partition: Partition, id: string, param = 'id'): InvoiceRecord {
  const record = partition.invoices.get(id);
  if (record === undefined) {
    throw resourceMissing('invoice', id, param);
  }
  return record;
}

/** The invoice whose hosted page lives at `/i/<token>`, on whatever account it is. */
export function findByHostedToken(
  sim: Simulation,
  token: string,
): { partition: Partition; record: InvoiceRecord } | null {
  for (const partition of sim.partitions.values()) {
    for (const record of partition.invoices.values()) {
      if (record.hostedToken === token) {
        return { partition, record };
      }
    }
  }
  return null;
}

function readCustomFields(params: ParamReader): Stripe.Invoice.CustomField[] | null | undefined {
  if (params.isCleared('custom_fields')) {
    return null;
  }
  const fields = params.objects('custom_fields');
  if (fields === undefined) {
    return undefined;
  }
  if (fields.length > MAX_CUSTOM_FIELDS) {
    throw parameterInvalid(
      'custom_fields',
      `An invoice can have at most ${MAX_CUSTOM_FIELDS} custom fields.`,
    );
  }

  return fields.map((field) => {
    const name = field.requireString('name');
    const value = field.requireString('value');
    if (name.length > MAX_CUSTOM_FIELD_NAME) {
      throw parameterInvalid(
        field.name('name'),
        `Custom field names are at most ${MAX_CUSTOM_FIELD_NAME} characters.`,
      );
    }
    if (value.length > MAX_CUSTOM_FIELD_VALUE) {
      throw parameterInvalid(
        field.name('value'),
        `Custom field values are at most ${MAX_CUSTOM_FIELD_VALUE} characters.`,
      );
    }
    return { name, value };
  });
}

function readTransferData(sim: Simulation, params: ParamReader): InvoiceRecord['transferData'] {
  const transfer = params.object('transfer_data');
  if (transfer === undefined) {
    return null;
  }
  const destination = transfer.requireString('destination');
  findAccount(sim, destination, transfer.name('destination'));
  return { destination, amount: transfer.integer('amount', { min: 0 }) ?? null };
}

function readOnBehalfOf(sim: Simulation, params: ParamReader): string | null {
  const accountId = params.string('on_behalf_of');
  if (accountId === undefined) {
    return null;
  }
  return findAccount(sim, accountId, 'on_behalf_of').id;
}

function readPaymentMethodTypes(params: ParamReader): string[] | null | undefined {
  const settings = params.object('payment_settings');
  if (settings?.isCleared('payment_method_types')) {
    return null;
  }
  const types = settings?.strings('payment_method_types');
  for (const type of types ?? []) {
    if (!/^[a-z_]+$/.test(type)) {
      throw parameterInvalid(
        'payment_settings[payment_method_types]',
        `Invalid payment method type: ${type}`,
      );
    }
  }
  return types;
}

/**
 * The due-date rules of `send_invoice`: one of `days_until_due` or a future `due_date`, and
 * neither with `charge_automatically`.
 */
function readDueDate(
  sim: Simulation,
  params: ParamReader,
  collectionMethod: string,
  created: number,
): { dueDate: number | null; daysUntilDue: number | null } {
  const days = params.integer('days_until_due', { min: 0 });
  const dueDate = params.integer('due_date');

  if (collectionMethod !== 'send_invoice') {
    const given = days !== undefined ? 'days_until_due' : dueDate !== undefined ? 'due_date' : null;
    if (given !== null) {
      throw parameterInvalid(
        given,
        `${given} can only be set when collection_method is send_invoice.`,
      );
    }
    return { dueDate: null, daysUntilDue: null };
  }

  if (days !== undefined && dueDate !== undefined) {
    throw invalidRequest('Specify either days_until_due or due_date, not both.', {
      code: 'parameters_exclusive',
      param: 'due_date',
    });
  }
  if (dueDate !== undefined) {
    if (dueDate <= sim.now()) {
      throw parameterInvalid('due_date', 'Invalid timestamp: due_date must be in the future.');
    }
    return { dueDate, daysUntilDue: null };
  }
  if (days !== undefined) {
    return { dueDate: created + days * SECONDS_PER_DAY, daysUntilDue: days };
  }
  throw invalidRequest(
    'Invoices with collection_method send_invoice need days_until_due or due_date.',
    { code: 'parameter_missing', param: 'days_until_due' },
  );
}

/**
 * The merchant a member sees: the `on_behalf_of` account, else the account the invoice lives on
 * (direct charges), else the platform.
 */
export function merchantName(sim: Simulation, partition: Partition, onBehalfOf: unknown): string {
  const accountId = typeof onBehalfOf === 'string' ? onBehalfOf : partition.eventAccount;
  const account = accountId === undefined ? undefined : sim.platform.accounts.get(accountId);
  return (account === undefined ? null : businessName(account)) ?? sim.settings.platformName;
}

function createInvoice({ sim, ctx, params }: ApiCall): Stripe.Invoice {
  const customerId = params.string('customer');
  if (customerId === undefined) {
    throw parameterMissing('customer');
  }
  const customer = findCustomer(ctx.partition, customerId, 'customer');
  const collectionMethod =
    params.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const) ??
    'charge_automatically';
  const created = sim.now();
  const { dueDate, daysUntilDue } = readDueDate(sim, params, collectionMethod, created);
  const onBehalfOf = readOnBehalfOf(sim, params);
  const transferData = readTransferData(sim, params);
  const id = sim.newId('in');

  const invoice: Stripe.Invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: merchantName(sim, ctx.partition, onBehalfOf),
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_paid_off_stripe: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: params.boolean('auto_advance') ?? false,
    automatic_tax: {
      disabled_reason: null,
      enabled: false,
      liability: null,
      provider: null,
      status: null,
    },
    automatically_finalizes_at: null,
    billing_reason: 'manual',
    collection_method: collectionMethod,
    confirmation_secret: null,
    created,
    currency: (params.string('currency') ?? customer.currency ?? 'usd').toLowerCase(),
    custom_fields: readCustomFields(params) ?? null,
    customer: customer.id,
    customer_account: null,
    ...customerSnapshot(customer),
    customer_shipping: null,
    customer_tax_ids: [],
    default_payment_method: params.string('default_payment_method') ?? null,
    default_source: null,
    default_tax_rates: [],
    description: params.string('description') ?? null,
    discounts: [],
    due_date: dueDate,
    effective_at: null,
    ending_balance: null,
    footer: params.string('footer') ?? null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: params.metadata(),
    next_payment_attempt: null,
    number: params.string('number') ?? null,
    on_behalf_of: onBehalfOf,
    parent: null,
    payment_settings: {
      default_mandate: null,
      payment_method_options: null,
      payment_method_types: readPaymentMethodTypes(params) ?? null,
    },
    period_end: created,
    period_start: created,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: customer.balance,
    statement_descriptor: params.string('statement_descriptor') ?? null,
    status: 'draft',
    status_transitions: {
      finalized_at: null,
      marked_uncollectible_at: null,
      paid_at: null,
      voided_at: null,
    },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: null,
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };

  const record: InvoiceRecord = {
    invoice,
    transferData,
    applicationFeeAmount: params.integer('application_fee_amount', { min: 0 }) ?? null,
    daysUntilDue,
    hostedToken: null,
    defaultPaymentIntentId: null,
    followsCustomer: true,
  };
  ctx.partition.invoices.set(id, record);
  sim.markCreated(id);

  const behavior = params.oneOf('pending_invoice_items_behavior', ['exclude', 'include'] as const);
  if (behavior === 'include') {
    for (const item of ctx.partition.invoiceItems.values()) {
      if (
        item.invoice === null &&
        item.customer === customer.id &&
        item.currency === invoice.currency
      ) {
        item.invoice = id;
      }
    }
    syncInvoiceLines(sim, ctx.partition, record);
  }

  sim.emit(ctx.partition, ctx, 'invoice.created', invoice);
  return invoice;
}

/** What a finalized invoice still lets `update` change. */
const EDITABLE_AFTER_FINALIZATION = new Set(['metadata', 'auto_advance', 'expand']);

function updateInvoice({ sim, ctx, params, path }: ApiCall): Stripe.Invoice {
  const record = findInvoice(ctx.partition, path.id ?? '');
  const invoice = record.invoice;
  const locked = invoice.status !== 'draft' || hasAttachedPayments(ctx.partition, invoice.id);

  if (locked) {
    const forbidden = params.keys().find((key) => !EDITABLE_AFTER_FINALIZATION.has(key));
    if (forbidden !== undefined) {
      throw invalidRequest(`Finalized invoices can't have ${forbidden} changed; only metadata.`, {
        code:
          forbidden === 'on_behalf_of'
            ? 'invoice_on_behalf_of_not_editable'
            : 'invoice_not_editable',
        param: forbidden,
      });
    }
  }

  const before = structuredClone({ ...invoice, lines: undefined });
  if (!locked) {
    applyDraftEdits(sim, ctx.partition, record, params);
  }
  invoice.auto_advance = params.boolean('auto_advance') ?? invoice.auto_advance;
  invoice.metadata = params.metadata(invoice.metadata ?? {});

  const previous: Partial<Stripe.Invoice> = {};
  for (const key of Object.keys(before) as Array<keyof Stripe.Invoice>) {
    if (key !== 'lines' && JSON.stringify(before[key]) !== JSON.stringify(invoice[key])) {
      Object.assign(previous, { [key]: before[key] });
    }
  }
  if (Object.keys(previous).length > 0) {
    sim.emit(ctx.partition, ctx, 'invoice.updated', invoice, previous);
  }
  return invoice;
}

function applyDraftEdits(
  sim: Simulation,
  partition: Partition,
  record: InvoiceRecord,
  params: ParamReader,
): void {
  const invoice = record.invoice;

  if (params.has('description') || params.isCleared('description')) {
    invoice.description = params.string('description') ?? null;
  }
  if (params.has('footer') || params.isCleared('footer')) {
    invoice.footer = params.string('footer') ?? null;
  }
  const customFields = readCustomFields(params);
  if (customFields !== undefined) {
    invoice.custom_fields = customFields;
  }
  const methodTypes = readPaymentMethodTypes(params);
  if (methodTypes !== undefined) {
    invoice.payment_settings.payment_method_types = methodTypes;
  }
  if (params.has('on_behalf_of') || params.isCleared('on_behalf_of')) {
    invoice.on_behalf_of = readOnBehalfOf(sim, params);
    invoice.account_name = merchantName(sim, partition, invoice.on_behalf_of);
  }
  if (params.has('transfer_data') || params.isCleared('transfer_data')) {
    record.transferData = readTransferData(sim, params);
  }
  if (params.has('application_fee_amount')) {
    record.applicationFeeAmount = params.integer('application_fee_amount', { min: 0 }) ?? null;
  }

  const collectionMethod =
    params.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const) ??
    invoice.collection_method;
  if (params.has('collection_method') || params.has('days_until_due') || params.has('due_date')) {
    const due = readDueDate(sim, params, collectionMethod, invoice.created);
    invoice.collection_method = collectionMethod;
    invoice.due_date = due.dueDate;
    record.daysUntilDue = due.daysUntilDue;
  }
}

function deleteInvoice({ sim, ctx, path }: ApiCall): Stripe.DeletedInvoice {
  const record = findInvoice(ctx.partition, path.id ?? '');
  if (record.invoice.status !== 'draft') {
    throw invalidTransition(
      `This invoice is ${record.invoice.status}; only drafts can be deleted. Void it instead.`,
    );
  }

  for (const item of [...ctx.partition.invoiceItems.values()]) {
    if (item.invoice === record.invoice.id) {
      ctx.partition.invoiceItems.delete(item.id);
    }
  }
  ctx.partition.invoices.delete(record.invoice.id);
  sim.emit(ctx.partition, ctx, 'invoice.deleted', record.invoice);
  return { id: record.invoice.id, object: 'invoice', deleted: true };
}

const invoiceSearch: SearchSchema<Stripe.Invoice> = {
  fields: {
    created: (invoice) => invoice.created,
    currency: (invoice) => invoice.currency,
    customer: (invoice) => (typeof invoice.customer === 'string' ? invoice.customer : null),
    number: (invoice) => invoice.number,
    receipt_number: (invoice) => invoice.receipt_number,
    status: (invoice) => invoice.status,
    subscription: () => null,
    total: (invoice) => invoice.total,
    last_finalization_error_code: (invoice) => invoice.last_finalization_error?.code ?? null,
    last_finalization_error_type: (invoice) => invoice.last_finalization_error?.type ?? null,
  },
  metadata: (invoice) => invoice.metadata,
};

function listInvoices({ ctx, params }: ApiCall) {
  const customer = params.string('customer');
  const status = params.string('status');
  const collectionMethod = params.string('collection_method');
  const created = timestampFilter(params, 'created');
  const dueDate = timestampFilter(params, 'due_date');

  const invoices = newestFirst(ctx.partition.invoices.values())
    .map((record) => record.invoice)
    .filter(
      (invoice) =>
        (customer === undefined || invoice.customer === customer) &&
        (status === undefined || invoice.status === status) &&
        (collectionMethod === undefined || invoice.collection_method === collectionMethod) &&
        created(invoice.created) &&
        (!params.has('due_date') || (invoice.due_date !== null && dueDate(invoice.due_date))),
    );
  return paginate(invoices, params, '/v1/invoices');
}

export const invoiceRoutes: Route[] = [
  route(
    'POST',
    '/v1/invoices',
    acceptedParams<Stripe.InvoiceCreateParams>({
      account_tax_ids: true,
      application_fee_amount: true,
      auto_advance: true,
      automatic_tax: true,
      automatically_finalizes_at: true,
      collection_method: true,
      currency: true,
      custom_fields: true,
      customer: true,
      customer_account: true,
      days_until_due: true,
      default_payment_method: true,
      default_source: true,
      default_tax_rates: true,
      description: true,
      discounts: true,
      due_date: true,
      effective_at: true,
      expand: true,
      footer: true,
      from_invoice: true,
      issuer: true,
      metadata: true,
      number: true,
      on_behalf_of: true,
      payment_settings: true,
      pending_invoice_items_behavior: true,
      rendering: true,
      shipping_cost: true,
      shipping_details: true,
      statement_descriptor: true,
      subscription: true,
      transfer_data: true,
    }),
    createInvoice,
  ),
  route(
    'GET',
    '/v1/invoices/:id',
    acceptedParams<Stripe.InvoiceRetrieveParams>({ expand: true }),
    ({ ctx, path }) => findInvoice(ctx.partition, path.id ?? '').invoice,
  ),
  route(
    'POST',
    '/v1/invoices/:id',
    acceptedParams<Stripe.InvoiceUpdateParams>({
      account_tax_ids: true,
      application_fee_amount: true,
      auto_advance: true,
      automatic_tax: true,
      automatically_finalizes_at: true,
      collection_method: true,
      custom_fields: true,
      days_until_due: true,
      default_payment_method: true,
      default_source: true,
      default_tax_rates: true,
      description: true,
      discounts: true,
      due_date: true,
      effective_at: true,
      expand: true,
      footer: true,
      issuer: true,
      metadata: true,
      number: true,
      on_behalf_of: true,
      payment_settings: true,
      rendering: true,
      shipping_cost: true,
      shipping_details: true,
      statement_descriptor: true,
      transfer_data: true,
    }),
    updateInvoice,
  ),
  route(
    'DELETE',
    '/v1/invoices/:id',
    acceptedParams<Stripe.InvoiceDeleteParams>({}),
    deleteInvoice,
  ),
  route(
    'GET',
    '/v1/invoices',
    acceptedParams<Stripe.InvoiceListParams>({
      collection_method: true,
      created: true,
      customer: true,
      customer_account: true,
      due_date: true,
      ending_before: true,
      expand: true,
      limit: true,
      starting_after: true,
      status: true,
      subscription: true,
    }),
    listInvoices,
  ),
  route(
    'GET',
    '/v1/invoices/search',
    acceptedParams<Stripe.InvoiceSearchParams>({
      expand: true,
      limit: true,
      page: true,
      query: true,
    }),
    ({ sim, ctx, params }) => {
      const matches = compileQuery(params.requireString('query'), invoiceSearch);
      const indexed = indexedBy(sim);
      const found = newestFirst(ctx.partition.invoices.values())
        .map((record) => record.invoice)
        .filter((invoice) => indexed(invoice) && matches(invoice));
      return searchPage(found, params, '/v1/invoices/search');
    },
  ),
  route(
    'GET',
    '/v1/invoices/:id/lines',
    acceptedParams<Stripe.InvoiceListLineItemsParams>({
      ending_before: true,
      expand: true,
      limit: true,
      starting_after: true,
    }),
    ({ ctx, params, path }) => {
      const record = findInvoice(ctx.partition, path.id ?? '');
      return paginate(record.invoice.lines.data, params, record.invoice.lines.url);
    },
  ),
];
