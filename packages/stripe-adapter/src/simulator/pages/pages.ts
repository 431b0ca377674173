import type Stripe from 'stripe';
import { hasProcessingPayment } from '../engine/invoice-settlement';
import { formatAmount } from '../engine/money';
import { TEST_BANK_ACCOUNTS, TEST_CARDS } from '../engine/test-instruments';
import { StripeApiError } from '../http/errors';
import { businessName, completeOnboarding } from '../resources/accounts';
import { payInvoice } from '../resources/invoice-lifecycle';
import { findByHostedToken } from '../resources/invoices';
import { AUTOMATIC, type Simulation } from '../state/simulation';
import type { InvoiceRecord, Partition } from '../state/store';
import { escapeHtml, formatDate, page } from './html';
import { textPdf } from './pdf';

/** A browser request to one of the simulator's pages (not the API). */
export interface PageRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Fields of a submitted form. */
  form: URLSearchParams;
}

export interface PageResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

function html(status: number, title: string, body: string): PageResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
    body: page(title, body),
  };
}

function redirect(location: string): PageResponse {
  return { status: 303, headers: { Location: location }, body: '' };
}

const notFound = (): PageResponse =>
  html(404, 'Not found', '<h1>Not found</h1><p>This link does not lead anywhere.</p>');

/** Serve a hosted page, or null when `path` is not one. */
export function servePage(sim: Simulation, request: PageRequest): PageResponse | null {
  const segments = request.path.split('/').filter((segment) => segment !== '');
  const [section, first, second, third] = segments;

  if (section === 'i' && first !== undefined) {
    const found = findByHostedToken(sim, first);
    if (found === null) {
      return notFound();
    }
    if (second === 'pdf' && request.method === 'GET') {
      return invoicePdf(sim, found.record);
    }
    if (second === 'pay' && request.method === 'POST') {
      return submitPayment(sim, found.partition, found.record, request.form);
    }
    if (second === undefined && request.method === 'GET') {
      return hostedInvoice(sim, found.partition, found.record, request.query);
    }
    return notFound();
  }

  if (section === 'setup' && first === 'e' && second !== undefined && third !== undefined) {
    return request.method === 'POST'
      ? submitOnboarding(sim, third, request.form)
      : onboardingForm(sim, third);
  }
  if (section === 'express' && first !== undefined) {
    return expressDashboard(sim, first);
  }
  if (section === 'receipts' && first !== undefined) {
    return receipt(sim, first);
  }
  if (segments.length === 0) {
    return html(
      200,
      'Stripe simulator',
      '<h1>Stripe simulator</h1><p>The API lives under /v1.</p>',
    );
  }
  return null;
}

function merchantName(sim: Simulation, invoice: Stripe.Invoice): string {
  return invoice.account_name ?? sim.settings.platformName;
}

function hostedInvoice(
  sim: Simulation,
  partition: Partition,
  record: InvoiceRecord,
  query: URLSearchParams,
): PageResponse {
  const invoice = record.invoice;
  const merchant = merchantName(sim, invoice);
  const amountOwed = invoice.status === 'paid' ? invoice.amount_paid : invoice.amount_remaining;

  const lines = invoice.lines.data
    .map((line) => {
      const amount = escapeHtml(formatAmount(line.amount, line.currency));
      const description = escapeHtml(line.description ?? '');
      return `<tr><td>${description}</td><td class="number">${amount}</td></tr>`;
    })
    .join('');
  const billedTo =
    invoice.customer_email === null ? '' : ` · Billed to ${escapeHtml(invoice.customer_email)}`;
  const customFields = (invoice.custom_fields ?? [])
    .map((field) => `<p class="muted">${escapeHtml(field.name)}: ${escapeHtml(field.value)}</p>`)
    .join('');
  const due =
    invoice.due_date === null ? '' : `<p>Due ${escapeHtml(formatDate(invoice.due_date))}</p>`;

  const body = `
<p class="muted">Invoice from</p>
<h1 id="merchant">${escapeHtml(merchant)}</h1>
<p class="amount" id="amount">${escapeHtml(formatAmount(amountOwed, invoice.currency))}</p>
${due}
<p id="description">${escapeHtml(invoice.description ?? '')}</p>
<p class="muted">Invoice ${escapeHtml(invoice.number ?? '')}${billedTo}</p>
${customFields}
<table>${lines}</table>
${resultNotice(query)}
${paymentSection(partition, record)}`;

  return html(200, `Invoice ${invoice.number ?? ''} from ${merchant}`, body);
}

function resultNotice(query: URLSearchParams): string {
  const message = query.get('message');
  if (message === null) {
    return '';
  }
  const failed = query.get('result') === 'failed';
  return `<p class="notice${failed ? ' error' : ''}" id="result">${escapeHtml(message)}</p>`;
}

function paymentSection(partition: Partition, record: InvoiceRecord): string {
  const invoice = record.invoice;
  if (invoice.status === 'paid') {
    const paidAt = invoice.status_transitions.paid_at;
    const when = paidAt === null ? '' : ` on ${escapeHtml(formatDate(paidAt))}`;
    return `<p class="notice" id="status">Paid${when}.</p>`;
  }
  if (invoice.status === 'void') {
    return '<p class="notice" id="status">This invoice was voided and can no longer be paid.</p>';
  }
  if (hasProcessingPayment(partition, invoice.id)) {
    return (
      '<p class="notice" id="status">Your bank payment is processing. ' +
      'This can take a few business days.</p>'
    );
  }

  return `
<form method="post" action="/i/${escapeHtml(record.hostedToken ?? '')}/pay">
  <fieldset>
    <legend>Card</legend>
    <label><input type="radio" name="method" value="card" checked> Pay by card</label>
    <label>Card number
      <input name="card_number" value="${TEST_CARDS.visa}" autocomplete="off"></label>
  </fieldset>
  <fieldset>
    <legend>US bank account</legend>
    <label><input type="radio" name="method" value="us_bank_account"> Pay by bank account</label>
    <label>Routing number
      <input name="routing_number" value="${TEST_BANK_ACCOUNTS.routingNumber}"></label>
    <label>Account number
      <input name="account_number" value="${TEST_BANK_ACCOUNTS.succeeds}"></label>
  </fieldset>
  <button type="submit">Pay this Invoice</button>
</form>`;
}

function submitPayment(
  sim: Simulation,
  partition: Partition,
  record: InvoiceRecord,
  form: URLSearchParams,
): PageResponse {
  const back = (result: string, message: string) =>
    redirect(
      `/i/${record.hostedToken ?? ''}?${new URLSearchParams({ result, message }).toString()}`,
    );

  const bank = form.get('method') === 'us_bank_account';
  try {
    const declined = payInvoice(
      sim,
      partition,
      record,
      bank
        ? {
            bank: {
              accountNumber: form.get('account_number') ?? '',
              routingNumber: form.get('routing_number') ?? TEST_BANK_ACCOUNTS.routingNumber,
            },
          }
        : { card: form.get('card_number') ?? '' },
      AUTOMATIC,
    );
    if (declined !== null) {
      return back('failed', declined.body.message);
    }
    return bank
      ? back('processing', 'Thanks! Your bank payment is processing.')
      : back('paid', 'Thanks! Your payment was received.');
  } catch (error) {
    if (error instanceof StripeApiError) {
      return back('failed', error.body.message);
    }
    throw error;
  }
}

function invoicePdf(sim: Simulation, record: InvoiceRecord): PageResponse {
  const invoice = record.invoice;
  const lines = [
    `Invoice ${invoice.number ?? ''}`,
    `From: ${merchantName(sim, invoice)}`,
    `Billed to: ${invoice.customer_email ?? invoice.customer_name ?? ''}`,
    invoice.due_date === null ? '' : `Due: ${formatDate(invoice.due_date)}`,
    '',
    ...invoice.lines.data.map(
      (line) => `${line.description ?? ''}  ${formatAmount(line.amount, line.currency)}`,
    ),
    '',
    `Amount due: ${formatAmount(invoice.amount_due, invoice.currency)}`,
    `Status: ${invoice.status ?? ''}`,
  ];
  return {
    status: 200,
    headers: { 'Content-Type': 'application/pdf' },
    body: textPdf(lines),
  };
}

function onboardingForm(sim: Simulation, token: string): PageResponse {
  const link = sim.accountLinks.get(token);
  if (link === undefined) {
    return notFound();
  }
  // Links are single use and short-lived: a spent or expired one sends the user to refresh_url,
  // where the platform makes a fresh link.
  if (link.visited || sim.now() > link.expiresAt) {
    return link.refreshUrl === null
      ? html(410, 'Link expired', '<h1>This link has expired</h1><p>Ask for a new one.</p>')
      : redirect(link.refreshUrl);
  }
  link.visited = true;

  const account = sim.platform.accounts.get(link.account);
  const name = account === undefined ? '' : (businessName(account) ?? '');
  return html(
    200,
    'Set up payouts',
    `<h1>Set up payments and payouts</h1>
<p class="muted">Account ${escapeHtml(link.account)}</p>
<form method="post">
  <label>Business name <input name="business_name" value="${escapeHtml(name)}"></label>
  <p class="muted">Identity, bank account and terms are filled in with test data.</p>
  <button type="submit">Agree and submit</button>
</form>`,
  );
}

function submitOnboarding(sim: Simulation, token: string, form: URLSearchParams): PageResponse {
  const link = sim.accountLinks.get(token);
  if (link === undefined || !link.visited || link.completed) {
    return notFound();
  }

  const businessName = form.get('business_name')?.trim();
  completeOnboarding(sim, link.account, {
    businessName: businessName === undefined || businessName === '' ? undefined : businessName,
  });
  link.completed = true;
  return link.returnUrl === null
    ? html(200, 'All set', '<h1>All set</h1><p>You can close this page.</p>')
    : redirect(link.returnUrl);
}

function expressDashboard(sim: Simulation, accountId: string): PageResponse {
  const account = sim.platform.accounts.get(accountId);
  if (account === undefined) {
    return notFound();
  }
  const yesNo = (value: boolean) => (value ? 'yes' : 'no');
  return html(
    200,
    'Express Dashboard',
    `<h1>${escapeHtml(businessName(account) ?? account.id)}</h1>
<p>Charges enabled: ${yesNo(account.charges_enabled)}</p>
<p>Payouts enabled: ${yesNo(account.payouts_enabled)}</p>`,
  );
}

function receipt(sim: Simulation, chargeId: string): PageResponse {
  for (const partition of sim.partitions.values()) {
    const charge = partition.charges.get(chargeId);
    if (charge !== undefined) {
      const amount = escapeHtml(formatAmount(charge.amount, charge.currency));
      const refunded =
        charge.amount_refunded === 0
          ? ''
          : ` · refunded ${escapeHtml(formatAmount(charge.amount_refunded, charge.currency))}`;
      return html(
        200,
        'Receipt',
        `<h1>Receipt</h1><p class="amount">${amount}</p>
<p>Status: ${escapeHtml(charge.status)}${refunded}</p>`,
      );
    }
  }
  return notFound();
}
