import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from '../http/errors';
import { newestFirst, paginate, timestampFilter } from '../http/list';
import { acceptedParams, type ParamReader } from '../http/params';
import { type ApiCall, type Route, route } from '../http/routes';
import { compileQuery, type SearchSchema, searchPage } from '../http/search';
import { randomToken } from '../state/ids';
import type { Simulation } from '../state/simulation';
import type { Partition } from '../state/store';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function findCustomer(partition: Partition, id: string, param = 'id'): Stripe.Customer {
  const customer = partition.customers.get(id);
  if (customer === undefined) {
    throw resourceMissing('customer', id, param);
  }
  return customer;
}

function readEmail(params: ParamReader): string | null | undefined {
  if (params.isCleared('email')) {
    return null;
  }
  const email = params.string('email');
  if (email !== undefined && !EMAIL.test(email)) {
    throw invalidRequest(`Not a valid email address: ${email}`, {
      code: 'email_invalid',
      param: 'email',
    });
  }
  return email;
}

function readAddress(params: ParamReader): Stripe.Address | null | undefined {
  if (params.isCleared('address')) {
    return null;
  }
  const address = params.object('address');
  if (address === undefined) {
    return undefined;
  }
  return {
    city: address.string('city') ?? null,
    country: address.string('country') ?? null,
    line1: address.string('line1') ?? null,
    line2: address.string('line2') ?? null,
    postal_code: address.string('postal_code') ?? null,
    state: address.string('state') ?? null,
  };
}

function readInvoicePrefix(params: ParamReader): string | undefined {
  const prefix = params.string('invoice_prefix');
  if (prefix !== undefined && !/^[A-Z0-9]{3,12}$/.test(prefix)) {
    throw invalidRequest('Invoice prefix must be 3 to 12 uppercase letters or numbers.', {
      param: 'invoice_prefix',
    });
  }
  return prefix;
}

/** Text fields that `field=` clears. */
function readText(params: ParamReader, key: string): string | null | undefined {
  return params.isCleared(key) ? null : params.string(key);
}

function createCustomer({ sim, ctx, params }: ApiCall): Stripe.Customer {
  const customer: Stripe.Customer = {
    id: sim.newId('cus'),
    object: 'customer',
    address: readAddress(params) ?? null,
    balance: params.integer('balance') ?? 0,
    created: sim.now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: params.string('description') ?? null,
    discount: null,
    email: readEmail(params) ?? null,
    invoice_prefix: readInvoicePrefix(params) ?? randomToken(8).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method:
        params.object('invoice_settings')?.string('default_payment_method') ?? null,
      footer: params.object('invoice_settings')?.string('footer') ?? null,
      rendering_options: null,
    },
    livemode: false,
    metadata: params.metadata(),
    name: params.string('name') ?? null,
    next_invoice_sequence: params.integer('next_invoice_sequence', { min: 1 }) ?? 1,
    phone: params.string('phone') ?? null,
    preferred_locales: params.strings('preferred_locales') ?? [],
    shipping: null,
    tax_exempt: (params.string('tax_exempt') ?? 'none') as Stripe.Customer.TaxExempt,
    test_clock: null,
  };

  ctx.partition.customers.set(customer.id, customer);
  sim.markCreated(customer.id);
  sim.emit(ctx.partition, ctx, 'customer.created', customer);
  return customer;
}

function updateCustomer({ sim, ctx, params, path }: ApiCall): Stripe.Customer {
  const customer = findCustomer(ctx.partition, path.id ?? '');
  const before = structuredClone(customer);

  const email = readEmail(params);
  const address = readAddress(params);
  const name = readText(params, 'name');
  const phone = readText(params, 'phone');
  const description = readText(params, 'description');
  const prefix = readInvoicePrefix(params);
  const defaultPaymentMethod = params.object('invoice_settings')?.string('default_payment_method');

  if (email !== undefined) customer.email = email;
  if (address !== undefined) customer.address = address;
  if (name !== undefined) customer.name = name;
  if (phone !== undefined) customer.phone = phone;
  if (description !== undefined) customer.description = description;
  if (prefix !== undefined) customer.invoice_prefix = prefix;
  if (defaultPaymentMethod !== undefined) {
    customer.invoice_settings.default_payment_method = defaultPaymentMethod;
  }
  customer.metadata = params.metadata(customer.metadata);

  const previous = changedFields(before, customer);
  if (Object.keys(previous).length > 0) {
    followCustomerOnDrafts(ctx.partition, customer);
    sim.emit(ctx.partition, ctx, 'customer.updated', customer, previous);
  }
  return customer;
}

/** Draft invoices copy the customer's contact details until they are finalized. */
function followCustomerOnDrafts(partition: Partition, customer: Stripe.Customer): void {
  for (const record of partition.invoices.values()) {
    if (record.followsCustomer && record.invoice.customer === customer.id) {
      Object.assign(record.invoice, customerSnapshot(customer));
    }
  }
}

/** The customer_* fields an invoice carries. */
export function customerSnapshot(customer: Stripe.Customer) {
  return {
    customer_address: customer.address ?? null,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_tax_exempt: customer.tax_exempt ?? null,
  };
}

/** The fields of `after` whose values differ in `before`, with their old values. */
export function changedFields<T extends object>(before: T, after: T): Partial<T> {
  const previous: Partial<T> = {};
  for (const key of Object.keys(after) as Array<keyof T>) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      previous[key] = before[key];
    }
  }
  return previous;
}

function deleteCustomer({ sim, ctx, path }: ApiCall): Stripe.DeletedCustomer {
  const customer = findCustomer(ctx.partition, path.id ?? '');
  ctx.partition.customers.delete(customer.id);
  ctx.partition.deletedCustomers.add(customer.id);
  sim.emit(ctx.partition, ctx, 'customer.deleted', customer);
  return { id: customer.id, object: 'customer', deleted: true };
}

function retrieveCustomer({ ctx, path }: ApiCall): Stripe.Customer | Stripe.DeletedCustomer {
  const id = path.id ?? '';
  if (ctx.partition.deletedCustomers.has(id)) {
    return { id, object: 'customer', deleted: true };
  }
  return findCustomer(ctx.partition, id);
}

const customerSearch: SearchSchema<Stripe.Customer> = {
  fields: {
    created: (customer) => customer.created,
    email: (customer) => customer.email,
    name: (customer) => customer.name ?? null,
    phone: (customer) => customer.phone ?? null,
  },
  metadata: (customer) => customer.metadata,
};

/** Objects created within the search lag are not indexed yet. */
export function indexedBy(sim: Simulation): (item: { id: string }) => boolean {
  const horizon = sim.clock.nowMs() - sim.settings.searchLagMs;
  return (item) => (sim.createdAtMs.get(item.id) ?? 0) <= horizon;
}

export const customerRoutes: Route[] = [
  route(
    'POST',
    '/v1/customers',
    acceptedParams<Stripe.CustomerCreateParams>({
      address: true,
      balance: true,
      business_name: true,
      cash_balance: true,
      description: true,
      email: true,
      expand: true,
      individual_name: true,
      invoice_prefix: true,
      invoice_settings: true,
      metadata: true,
      name: true,
      next_invoice_sequence: true,
      payment_method: true,
      phone: true,
      preferred_locales: true,
      shipping: true,
      source: true,
      tax: true,
      tax_exempt: true,
      tax_id_data: true,
      test_clock: true,
      validate: true,
    }),
    createCustomer,
  ),
  route(
    'GET',
    '/v1/customers/:id',
    acceptedParams<Stripe.CustomerRetrieveParams>({ expand: true }),
    retrieveCustomer,
  ),
  route(
    'POST',
    '/v1/customers/:id',
    acceptedParams<Stripe.CustomerUpdateParams>({
      address: true,
      balance: true,
      business_name: true,
      cash_balance: true,
      default_source: true,
      description: true,
      email: true,
      expand: true,
      individual_name: true,
      invoice_prefix: true,
      invoice_settings: true,
      metadata: true,
      name: true,
      next_invoice_sequence: true,
      phone: true,
      preferred_locales: true,
      shipping: true,
      source: true,
      tax: true,
      tax_exempt: true,
      validate: true,
    }),
    updateCustomer,
  ),
  route(
    'DELETE',
    '/v1/customers/:id',
    acceptedParams<Stripe.CustomerDeleteParams>({}),
    deleteCustomer,
  ),
  route(
    'GET',
    '/v1/customers',
    acceptedParams<Stripe.CustomerListParams>({
      created: true,
      email: true,
      ending_before: true,
      expand: true,
      limit: true,
      starting_after: true,
      test_clock: true,
    }),
    ({ ctx, params }) => {
      const email = params.string('email');
      const created = timestampFilter(params, 'created');
      const customers = newestFirst(ctx.partition.customers.values()).filter(
        (customer) =>
          (email === undefined || customer.email === email) && created(customer.created),
      );
      return paginate(customers, params, '/v1/customers');
    },
  ),
  route(
    'GET',
    '/v1/customers/search',
    acceptedParams<Stripe.CustomerSearchParams>({
      expand: true,
      limit: true,
      page: true,
      query: true,
    }),
    ({ sim, ctx, params }) => {
      const matches = compileQuery(params.requireString('query'), customerSearch);
      const indexed = indexedBy(sim);
      const found = newestFirst(ctx.partition.customers.values()).filter(
        (customer) => indexed(customer) && matches(customer),
      );
      return searchPage(found, params, '/v1/customers/search');
    },
  ),
];
