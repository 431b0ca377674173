import Stripe from 'stripe';
import { invalidRequest, parameterMissing, resourceMissing } from '../http/errors';
import { newestFirst, paginate, timestampFilter } from '../http/list';
import { acceptedParams, type ParamReader } from '../http/params';
import { type ApiCall, type Route, route } from '../http/routes';
import type { Simulation } from '../state/simulation';
import type { InvoiceRecord, Partition } from '../state/store';
import { findCustomer } from './customers';

export function findInvoiceItem(partition: Partition, id: string): Stripe.InvoiceItem {
  const item = partition.invoiceItems.get(id);
  if (item === undefined) {
    throw resourceMissing('invoiceitem', id);
  }
  return item;
}

function draftInvoiceOf(partition: Partition, id: string, param: string): InvoiceRecord {
  const record = partition.invoices.get(id);
  if (record === undefined) {
    throw resourceMissing('invoice', id, param);
  }
  if (record.invoice.status !== 'draft') {
    throw invalidRequest(
      `Invoice ${id} is ${record.invoice.status}; only items of draft invoices can change.`,
      { code: 'invoice_not_editable', param },
    );
  }
  return record;
}

/** `amount`, or `price_data[unit_amount]` times `quantity`, in minor units. */
function readAmount(params: ParamReader, quantity: number): number | undefined {
  const amount = params.integer('amount');
  if (amount !== undefined) {
    return amount;
  }
  const unitAmount = params.object('price_data')?.integer('unit_amount', { min: 0 });
  return unitAmount === undefined ? undefined : unitAmount * quantity;
}

function readPeriod(params: ParamReader, fallback: number): Stripe.InvoiceItem.Period {
  const period = params.object('period');
  return {
    start: period?.integer('start') ?? fallback,
    end: period?.integer('end') ?? fallback,
  };
}

/**
 * Rebuild an invoice's lines from the items attached to it (each item is one `il_` line, kept
 * across rebuilds) and recompute its totals. Only drafts change this way.
 */
export function syncInvoiceLines(sim: Simulation, partition: Partition, record: InvoiceRecord) {
  const invoice = record.invoice;
  const existing = new Map(
    invoice.lines.data.map((line) => [line.parent?.invoice_item_details?.invoice_item, line]),
  );

  const lines: Stripe.InvoiceLineItem[] = [];
  for (const item of partition.invoiceItems.values()) {
    if (item.invoice !== invoice.id) {
      continue;
    }
    const line = existing.get(item.id);
    lines.push({
      id: line?.id ?? sim.newId('il'),
      object: 'line_item',
      amount: item.amount,
      currency: item.currency,
      description: item.description,
      discount_amounts: [],
      discountable: item.discountable,
      discounts: [],
      invoice: invoice.id,
      livemode: false,
      metadata: item.metadata ?? {},
      parent: {
        invoice_item_details: {
          invoice_item: item.id,
          proration: false,
          proration_details: { credited_items: null },
          subscription: null,
        },
        subscription_item_details: null,
        type: 'invoice_item_details',
      },
      period: item.period,
      pretax_credit_amounts: [],
      pricing: null,
      quantity: item.quantity,
      quantity_decimal: Stripe.Decimal.from(item.quantity),
      subscription: null,
      subtotal: item.amount,
      taxes: [],
    });
  }

  invoice.lines.data = lines;
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  invoice.subtotal = subtotal;
  invoice.subtotal_excluding_tax = subtotal;
  invoice.total = subtotal;
  invoice.total_excluding_tax = subtotal;
  invoice.amount_due = Math.max(0, subtotal);
  invoice.amount_remaining = Math.max(0, subtotal);
}

function createInvoiceItem({ sim, ctx, params }: ApiCall): Stripe.InvoiceItem {
  const invoiceId = params.string('invoice');
  const record =
    invoiceId === undefined ? undefined : draftInvoiceOf(ctx.partition, invoiceId, 'invoice');
  const customerId =
    params.string('customer') ??
    (typeof record?.invoice.customer === 'string' ? record.invoice.customer : undefined);
  if (customerId === undefined) {
    throw parameterMissing('customer');
  }
  const customer = findCustomer(ctx.partition, customerId, 'customer');
  if (record !== undefined && record.invoice.customer !== customer.id) {
    throw invalidRequest('The invoice item and the invoice must belong to the same customer.', {
      param: 'invoice',
    });
  }

  const quantity = params.integer('quantity', { min: 0 }) ?? 1;
  const amount = readAmount(params, quantity);
  if (amount === undefined) {
    throw parameterMissing('amount');
  }
  const currency = (params.string('currency') ?? record?.invoice.currency ?? 'usd').toLowerCase();
  if (record !== undefined && record.invoice.currency !== currency) {
    throw invalidRequest(
      `The currency ${currency} does not match the invoice's currency ${record.invoice.currency}.`,
      { param: 'currency' },
    );
  }

  const now = sim.now();
  const item: Stripe.InvoiceItem = {
    id: sim.newId('ii'),
    object: 'invoiceitem',
    amount,
    currency,
    customer: customer.id,
    customer_account: null,
    date: now,
    description: params.string('description') ?? null,
    discountable: params.boolean('discountable') ?? true,
    discounts: [],
    invoice: record?.invoice.id ?? null,
    livemode: false,
    metadata: params.metadata(),
    net_amount: amount,
    parent: null,
    period: readPeriod(params, now),
    pricing: null,
    proration: false,
    quantity,
    quantity_decimal: Stripe.Decimal.from(quantity),
    tax_rates: [],
    test_clock: null,
  };

  ctx.partition.invoiceItems.set(item.id, item);
  if (record !== undefined) {
    syncInvoiceLines(sim, ctx.partition, record);
  }
  sim.emit(ctx.partition, ctx, 'invoiceitem.created', item);
  return item;
}

/** Items on a finalized invoice are frozen; pending items and draft items may change. */
function editableItem(partition: Partition, id: string): Stripe.InvoiceItem {
  const item = findInvoiceItem(partition, id);
  if (typeof item.invoice === 'string') {
    draftInvoiceOf(partition, item.invoice, 'id');
  }
  return item;
}

function updateInvoiceItem({ sim, ctx, params, path }: ApiCall): Stripe.InvoiceItem {
  const item = editableItem(ctx.partition, path.id ?? '');
  const quantity = params.integer('quantity', { min: 0 }) ?? item.quantity;
  const amount = readAmount(params, quantity);
  if (amount !== undefined) {
    item.amount = amount;
    item.net_amount = amount;
  }
  item.quantity = quantity;
  item.quantity_decimal = Stripe.Decimal.from(quantity);
  if (params.has('description')) {
    item.description = params.string('description') ?? null;
  }
  item.period = params.has('period') ? readPeriod(params, item.date) : item.period;
  item.discountable = params.boolean('discountable') ?? item.discountable;
  item.metadata = params.metadata(item.metadata ?? {});

  const record = typeof item.invoice === 'string' ? ctx.partition.invoices.get(item.invoice) : null;
  if (record) {
    syncInvoiceLines(sim, ctx.partition, record);
  }
  return item;
}

function deleteInvoiceItem({ sim, ctx, path }: ApiCall): Stripe.DeletedInvoiceItem {
  const item = editableItem(ctx.partition, path.id ?? '');
  ctx.partition.invoiceItems.delete(item.id);

  const record = typeof item.invoice === 'string' ? ctx.partition.invoices.get(item.invoice) : null;
  if (record) {
    syncInvoiceLines(sim, ctx.partition, record);
  }
  sim.emit(ctx.partition, ctx, 'invoiceitem.deleted', item);
  return { id: item.id, object: 'invoiceitem', deleted: true };
}

export const invoiceItemRoutes: Route[] = [
  route(
    'POST',
    '/v1/invoiceitems',
    acceptedParams<Stripe.InvoiceItemCreateParams>({
      amount: true,
      currency: true,
      customer: true,
      customer_account: true,
      description: true,
      discountable: true,
      discounts: true,
      expand: true,
      invoice: true,
      metadata: true,
      period: true,
      price_data: true,
      pricing: true,
      quantity: true,
      quantity_decimal: true,
      subscription: true,
      tax_behavior: true,
      tax_code: true,
      tax_rates: true,
      unit_amount_decimal: true,
    }),
    createInvoiceItem,
  ),
  route(
    'GET',
    '/v1/invoiceitems/:id',
    acceptedParams<Stripe.InvoiceItemRetrieveParams>({ expand: true }),
    ({ ctx, path }) => findInvoiceItem(ctx.partition, path.id ?? ''),
  ),
  route(
    'POST',
    '/v1/invoiceitems/:id',
    acceptedParams<Stripe.InvoiceItemUpdateParams>({
      amount: true,
      description: true,
      discountable: true,
      discounts: true,
      expand: true,
      invoicing_rules: true,
      metadata: true,
      period: true,
      price_data: true,
      pricing: true,
      quantity: true,
      quantity_decimal: true,
      tax_behavior: true,
      tax_code: true,
      tax_rates: true,
      unit_amount_decimal: true,
    }),
    updateInvoiceItem,
  ),
  route(
    'DELETE',
    '/v1/invoiceitems/:id',
    acceptedParams<Stripe.InvoiceItemDeleteParams>({}),
    deleteInvoiceItem,
  ),
  route(
    'GET',
    '/v1/invoiceitems',
    acceptedParams<Stripe.InvoiceItemListParams>({
      created: true,
      customer: true,
      customer_account: true,
      ending_before: true,
      expand: true,
      invoice: true,
      limit: true,
      pending: true,
      starting_after: true,
    }),
    ({ ctx, params }) => {
      const customer = params.string('customer');
      const invoice = params.string('invoice');
      const pending = params.boolean('pending');
      const created = timestampFilter(params, 'created');
      const items = newestFirst(ctx.partition.invoiceItems.values()).filter(
        (item) =>
          (customer === undefined || item.customer === customer) &&
          (invoice === undefined || item.invoice === invoice) &&
          (pending === undefined || (item.invoice === null) === pending) &&
          created(item.date),
      );
      return paginate(items, params, '/v1/invoiceitems');
    },
  ),
];
