/**
 * `pnpm demo [file.835]`: the whole co-pay flow, end to end, printing each step.
 *
 * Runs on embedded defaults: the local Stripe simulator and an embedded PostgreSQL (PGlite) in
 * `.memberpay/demo-db`. `DATABASE_URL` switches to a PostgreSQL server; `STRIPE_SECRET_KEY`
 * (test mode) with `STRIPE_WEBHOOK_SECRET` switches to real Stripe with the same code, and
 * `STRIPE_API_BASE` to a simulator started apart.
 *
 * The webhook endpoint listens on `PORT`: by default any free port with the simulator inside
 * this process, 4242 with a Stripe outside it, which must forward its webhooks to the URL the
 * demo prints. Steps that depend on webhooks wait for them, and say so when none arrive.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  asId,
  createMemberPayments,
  formatMoney,
  type MemberPayments,
  type OrganizationId,
  type PaymentRequest,
  type PaymentRequestStatus,
  type RemittanceInput,
} from '@memberpay/core';
import { type Era835Document, parse835 } from '@memberpay/era-835';
import { toRemittanceInput } from '@memberpay/era-835/memberpay';
import { SingleBar } from 'cli-progress';
import {
  missingSecretWarning,
  type OpenedStripe,
  openStorage,
  openStripe,
  stripeIsExternal,
  webhookPort,
} from '../shared/environment';
import { exitOnFailure } from '../shared/failure';
import { createMatchingRecords } from '../shared/members-from-835';
import { startWebhookEndpoint } from '../shared/webhook-endpoint';
import { count } from '../shared/words';
import { submitForm } from './browser';

const SAMPLE = fileURLToPath(new URL('./sample-835.txt', import.meta.url));
const USAGE = 'usage: pnpm demo [file.835]   (the bundled sample when no file is given)';
const file = fileArgument();
const say = (line = '') => console.log(line);
const step = (number: number, title: string) => say(`\n${number}. ${title}`);

exitOnFailure();
// Read the file before anything starts: a path that is not an 835 fails here, at once.
const document = readDocument(file);
const started = performance.now();
// A Stripe outside this process is told where to deliver before the demo starts: a known port.
const endpoint = await startWebhookEndpoint({ port: webhookPort(stripeIsExternal() ? 4242 : 0) });
const stripe = await openStripe(endpoint.url);
const warning = missingSecretWarning(stripe);
if (warning) {
  console.warn(warning);
}

const database = await openStorage(process.env.MEMBERPAY_DATA_DIR ?? '.memberpay/demo-db');
const payments = createMemberPayments({ storage: database.storage, gateway: stripe.gateway });
endpoint.serve(payments);

try {
  say('memberpay demo: collecting what members owe, from remittance to refund');
  say(`  storage   ${database.where}`);
  say(`  payments  ${stripe.where}`);
  say(`  webhooks  ${endpoint.url} (raw body, signature verified)`);
  if (!stripe.simulator) {
    say('            forward Stripe’s webhooks there, the account’s and the Connect ones');
  }
  await runDemo(payments, stripe);
  say(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
} finally {
  await endpoint.close();
  await stripe.close();
  await database.close();
}

async function runDemo(sdk: MemberPayments, gateway: OpenedStripe): Promise<void> {
  const organizationId = asId<'Organization'>(`org_demo_${Date.now().toString(36)}`);
  // On Stripe's own pages a person onboards and pays: give them time.
  const personMs = gateway.simulatedPages ? 30_000 : 600_000;

  step(1, 'An organization connects its payout account');
  await sdk.organizations.create({
    id: organizationId,
    name: 'Riverside Family Clinic',
    timeZone: 'America/New_York',
  });
  const link = (
    await sdk.organizations.startPayoutOnboarding(organizationId, {
      refreshUrl: 'https://clinic.example/payouts/refresh',
      returnUrl: 'https://clinic.example/payouts/done',
      email: 'billing@riverside.example',
    })
  )._unsafeUnwrap();
  say(`   Created payout account ${link.accountId} (Express dashboard); onboarding link issued.`);
  const receivedBefore = endpoint.received.length;
  if (gateway.simulatedPages) {
    await submitForm(link.url, { business_name: 'Riverside Family Clinic' });
    say('   Opened the onboarding page and submitted it, as the clinic owner would.');
  } else {
    say(`   Open this link to finish onboarding in Stripe test mode:\n   ${link.url}`);
  }
  const active = await waitFor(
    'the payout account to become active',
    async () => {
      const organization = (await sdk.organizations.get(organizationId))._unsafeUnwrap();
      if (!gateway.simulator && organization.payoutAccount.state !== 'active') {
        await sdk.organizations.refreshPayoutAccount(organizationId);
      }
      return organization.payoutAccount.state === 'active' ? organization : null;
    },
    personMs,
  );
  // Outside the simulator the account may be read active before its webhook arrives.
  await waitFor('Stripe’s account.updated webhook', async () =>
    endpoint.received
      .slice(receivedBefore)
      .some((event) => event.type === 'payout_account.updated' && event.status !== 'unknown')
      ? true
      : null,
  );
  say(
    `   Stripe sent account.updated: payout account ${active.payoutAccount.state} ` +
      `(charges ${active.payoutAccount.chargesEnabled ? 'enabled' : 'disabled'}, ` +
      `nothing due).`,
  );

  step(2, 'Member payments and remittance automation are turned on');
  await sdk.organizations.configure(organizationId, {
    memberPaymentsEnabled: true,
    generateFromRemittance: true,
    daysUntilDue: 30,
  });
  say('   memberPaymentsEnabled: on, generateFromRemittance: on, 30 days to pay.');

  step(3, `A remittance arrives: ${basename(file)}`);
  const remittances = readRemittances(file, document);
  const claimCount = remittances.reduce((total, r) => total + r.claimPayments.length, 0);
  for (const remittance of remittances) {
    say(
      `   ${remittance.payerName ?? remittance.payerId}, trace ${remittance.traceNumber}: ` +
        `${count(remittance.claimPayments.length, 'claim payment')}`,
    );
  }
  const records = await createMatchingRecords(sdk, organizationId, remittances, {
    withoutEmail: file === SAMPLE ? new Set(['Omar Hall']) : new Set(),
  });
  say(
    `   The clinic's system already has ${count(records.members, 'member')} ` +
      `and ${count(records.claims, 'claim')} for them.`,
  );
  let created = 0;
  for (const remittance of remittances) {
    const report = (await sdk.remittances.ingest(organizationId, remittance))._unsafeUnwrap();
    created += report.created.length;
    for (const item of report.created) {
      const held = item.hold ? ` (held: ${item.hold})` : '';
      say(`   + ${item.patientControlNumber}: draft for ${cents(item.amountMinor)}${held}`);
    }
    for (const item of report.heldForReview) {
      say(`   ! ${item.patientControlNumber}: held for review: ${item.reason}`);
    }
    for (const item of report.skipped) {
      say(`   - ${item.patientControlNumber} (status ${item.statusCode}): ${item.reason}`);
    }
    for (const item of report.unmatched) {
      say(`   ? ${item.patientControlNumber}: no matching claim`);
    }
  }
  say(
    `   ${count(claimCount, 'claim payment')} read; ` +
      `${count(created, 'request')} created as ${created === 1 ? 'a draft' : 'drafts'}.`,
  );

  step(4, 'Staff create a request by hand, from a member’s claim');
  const someone =
    [...records.memberOfClaim.values()][0] ??
    (
      await sdk.members.create(organizationId, {
        name: 'Walk-in Patient',
        email: 'walk.in@example.test',
      })
    )._unsafeUnwrap().id;
  {
    const visit = (
      await sdk.claims.create(organizationId, {
        memberId: someone,
        patientControlNumber: `MANUAL-${Date.now().toString(36).toUpperCase()}`,
        dateOfService: '2024-01-12',
        chargeAmount: '120.00',
      })
    )._unsafeUnwrap();
    const manual = (
      await sdk.requests.create(organizationId, {
        claimId: visit.id,
        internalId: 'INV-2024-0112',
        amount: '35.00',
        description: 'Physical therapy visit, balance after insurance',
        createdBy: 'front-desk',
      })
    )._unsafeUnwrap();
    say(
      `   ${manual.id}: ${formatMoney(manual.amount)} ` +
        `for claim ${visit.patientControlNumber} (draft).`,
    );
  }

  step(5, 'The overnight batch sends the drafts as Stripe invoices');
  const drafts = (await sdk.requests.list(organizationId, { statuses: ['draft'] }))._unsafeUnwrap();
  // Drafts held for staff (totals in doubt, below Stripe's minimum) wait for people; the batch
  // passes them over, so the bar counts only the others.
  const forStaff = drafts.filter(
    (draft) => draft.hold?.code === 'needs_review' || draft.hold?.code === 'below_minimum_charge',
  );
  const due = drafts.length - forStaff.length;
  const bar = new SingleBar({
    format: '   sending [{bar}] {value}/{total}',
    barCompleteChar: '#',
    barIncompleteChar: '.',
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 500,
    stream: process.stdout,
  });
  bar.start(due, 0);
  const batch = (
    await sdk.batch.runNow(organizationId, { onProgress: ({ processed }) => bar.update(processed) })
  )._unsafeUnwrap();
  bar.update(due);
  bar.stop();
  say(
    `   sent ${batch.sent}, held ${batch.heldCount}, failed ${batch.failedCount}; ` +
      `${count(batch.gatewayCalls, 'gateway call')}.`,
  );
  for (const held of batch.held) {
    say(`   held ${await label(sdk, organizationId, held.requestId)}: ${held.message}`);
  }
  for (const waiting of forStaff) {
    const name = await label(sdk, organizationId, waiting.id);
    say(`   waits for staff: ${name}: ${waiting.hold?.message}`);
  }

  step(6, 'Stripe’s webhooks reach the clinic’s endpoint');
  await settle(gateway);
  const sent = (await sdk.requests.list(organizationId, { statuses: ['sent'] }))._unsafeUnwrap();
  const invoices = count(sent.length, 'invoice');
  if (sent.length === 0) {
    say('   No invoice went out, so there is nothing to hear from Stripe yet.');
  } else {
    await waitFor(`Stripe’s invoice.sent webhooks for ${invoices}`, async () => {
      const announced = new Set(
        endpoint.received.filter((event) => event.type === 'invoice.sent').map((e) => e.requestId),
      );
      return sent.every((request) => announced.has(request.id)) ? true : null;
    });
    say(`   Stripe sent invoice.sent for ${invoices}: verified and applied.`);
  }

  step(7, 'Members pay on the invoice page; staff cancel two requests');
  const [byCard, byBank, unpaid] = sent;
  if (sent.length < 3) {
    say(`   (${invoices} went out; the demo needs three to show everything here.)`);
  }

  if (byCard) {
    await pay(sdk, gateway, organizationId, byCard, 'card', personMs);
  }
  if (byBank) {
    await pay(sdk, gateway, organizationId, byBank, 'us_bank_account', personMs);
  }
  if (unpaid) {
    const canceled = (
      await sdk.requests.cancel(organizationId, unpaid.id, 'front-desk')
    )._unsafeUnwrap();
    say(
      `   Staff cancel ${await label(sdk, organizationId, unpaid.id)}, unpaid: ${canceled.status}.`,
    );
  }
  if (byCard) {
    const refunding = (
      await sdk.requests.cancel(organizationId, byCard.id, 'front-desk')
    )._unsafeUnwrap();
    say(
      `   Staff cancel ${await label(sdk, organizationId, byCard.id)}, paid: ` +
        `refund asked of Stripe, ${refunding.status}.`,
    );
    if (refunding.status === 'refunded') {
      say('   Stripe refunded it at once.');
    } else {
      const refunded = await waitForStatus(sdk, organizationId, byCard.id, ['refunded']);
      say(`   Stripe confirmed the refund (refund.updated): ${refunded.status}.`);
    }
  }

  step(8, 'Where every request stands');
  await settle(gateway);
  await printTable(sdk, organizationId);
  if (byCard) {
    await printAuditTrail(sdk, organizationId, byCard.id);
  }
}

/** The one optional argument; `--help` prints the usage, anything else unknown exits 2. */
function fileArgument(): string {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean' } } });
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }

  if (parsed.values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (parsed.positionals.length > 1) {
    console.error(`error: one file at most, got ${parsed.positionals.length}\n${USAGE}`);
    process.exit(2);
  }
  return parsed.positionals[0] ?? SAMPLE;
}

function readDocument(path: string): Era835Document {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`cannot read ${path} (${code})`);
  }

  const document = parse835(bytes);
  if (document.transactions.length === 0) {
    const problem = document.diagnostics[0]?.message ?? 'no 835 transaction set in it';
    throw new Error(`${path} is not an 835 remittance: ${problem}`);
  }

  return document;
}

function readRemittances(path: string, document: Era835Document): RemittanceInput[] {
  const remittances: RemittanceInput[] = [];
  for (const transaction of document.transactions) {
    const mapped = toRemittanceInput(transaction);
    if (mapped.isOk()) {
      remittances.push(mapped.value);
    } else {
      say(`   skipped a transaction set: ${mapped.error.message}`);
    }
  }

  if (remittances.length === 0) {
    throw new Error(`${path} holds no 835 transaction set that can be ingested`);
  }

  return remittances;
}

async function pay(
  sdk: MemberPayments,
  gateway: OpenedStripe,
  organizationId: OrganizationId,
  request: PaymentRequest,
  method: 'card' | 'us_bank_account',
  personMs: number,
): Promise<void> {
  const url = request.gateway.hostedInvoiceUrl as string;
  const amount = formatMoney(request.amount);
  const who = await label(sdk, organizationId, request.id);
  if (!gateway.simulatedPages) {
    const means = method === 'card' ? 'card 4242 4242 4242 4242' : 'bank account';
    say(`   Pay ${amount} at ${url} (${means}).`);
  } else {
    await submitForm(url, { method });
  }

  if (method === 'card') {
    const paid = await waitForStatus(sdk, organizationId, request.id, ['paid'], personMs);
    say(`   ${who} pays ${amount} by card on the invoice page: ${paid.status}.`);
    return;
  }

  const processing = await waitForStatus(
    sdk,
    organizationId,
    request.id,
    ['processing', 'paid'],
    personMs,
  );
  say(`   ${who} pays ${amount} by bank account: ${processing.status} ...`);
  const settled = await waitForStatus(sdk, organizationId, request.id, ['paid']);
  say(`   ... the bank payment settled a moment later: ${settled.status}.`);
}

/** "Ana Rivera (RFC-10001)": the member and the claim of a request, for people. */
async function label(
  sdk: MemberPayments,
  organizationId: OrganizationId,
  requestId: string,
): Promise<string> {
  const request = (await sdk.requests.get(organizationId, asId(requestId)))._unsafeUnwrap();
  const member = (await sdk.members.get(organizationId, request.memberId))._unsafeUnwrap();
  const claim = (await sdk.claims.get(organizationId, request.claimId))._unsafeUnwrap();
  return `${member.name} (${claim.patientControlNumber})`;
}

async function waitForStatus(
  sdk: MemberPayments,
  organizationId: OrganizationId,
  requestId: string,
  statuses: readonly PaymentRequestStatus[],
  timeoutMs?: number,
): Promise<PaymentRequest> {
  return waitFor(
    `${requestId} to be ${statuses.join(' or ')}`,
    async () => {
      const request = (await sdk.requests.get(organizationId, asId(requestId)))._unsafeUnwrap();
      return statuses.includes(request.status) ? request : null;
    },
    timeoutMs,
  );
}

/** Polls `check` until it gives a value: what the demo waits for comes with Stripe's webhooks. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | null>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) {
      return value;
    }

    if (Date.now() > deadline) {
      throw new Error(`Waited ${timeoutMs / 1000} s for ${what}, in vain; ${webhookDiagnosis()}`);
    }

    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Why what the demo waits for, which Stripe's webhooks tell, may not have come. */
function webhookDiagnosis(): string {
  const url = endpoint.url;
  if (endpoint.refusedCount > 0) {
    const refused = count(endpoint.refusedCount, 'webhook delivery', 'webhook deliveries');
    return `${refused} to ${url} refused (reasons above)`;
  }

  if (endpoint.received.length === 0) {
    return (
      `no webhook reached ${url}: is Stripe forwarding its webhooks there (pnpm stripe-sim ` +
      '--forward-to URL, or stripe listen --forward-to URL --forward-connect-to URL)?'
    );
  }

  return (
    `${count(endpoint.received.length, 'webhook')} reached ${url}, not the one awaited: are ` +
    'the Connect events forwarded there too (stripe listen --forward-connect-to URL)?'
  );
}

async function settle(gateway: OpenedStripe): Promise<void> {
  await gateway.simulator?.webhooks.drain();
}

async function printTable(sdk: MemberPayments, organizationId: OrganizationId): Promise<void> {
  const requests = (
    await sdk.requests.list(organizationId, { includeDeleted: true }, { limit: 500 })
  )._unsafeUnwrap();
  const rows = [];
  for (const request of requests) {
    const member = (await sdk.members.get(organizationId, request.memberId))._unsafeUnwrap();
    const claim = (await sdk.claims.get(organizationId, request.claimId))._unsafeUnwrap();
    rows.push({
      member: member.name,
      claim: claim.patientControlNumber,
      'internal id': request.internalId,
      amount: formatMoney(request.amount),
      status: request.hold ? `${request.status} (${request.hold.code})` : request.status,
    });
  }
  printRows(rows);
}

async function printAuditTrail(
  sdk: MemberPayments,
  organizationId: OrganizationId,
  requestId: string,
): Promise<void> {
  const trail = (await sdk.requests.auditTrail(organizationId, asId(requestId)))._unsafeUnwrap();
  say(`\n   Audit trail of ${requestId}:`);
  for (const entry of trail) {
    const move =
      entry.from && entry.to && entry.from !== entry.to
        ? `${entry.from} -> ${entry.to}`
        : entry.action;
    say(
      `   ${entry.at.toISOString()}  ${move.padEnd(28)} ${describe(entry.actor)}: ${entry.reason}`,
    );
  }
}

function describe(actor: { kind: string } & Record<string, unknown>): string {
  switch (actor.kind) {
    case 'staff':
      return `staff ${String(actor.userId)}`;
    case 'batch':
      return 'overnight batch';
    case 'gateway_event':
      return `Stripe ${String(actor.eventType)}`;
    case 'remittance':
      return 'remittance';
    default:
      return actor.kind;
  }
}

function printRows(rows: ReadonlyArray<Record<string, string>>): void {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `   ${cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ')}`.trimEnd();
  say(line(columns));
  say(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) {
    say(line(columns.map((column) => row[column] ?? '')));
  }
}

function cents(minor: number): string {
  return formatMoney({ minor, currency: 'usd' } as Parameters<typeof formatMoney>[0]);
}
