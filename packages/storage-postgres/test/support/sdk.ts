import {
  asId,
  type ClaimId,
  createMemberPayments,
  type MemberPayments,
  type MemberPaymentsOptions,
  type OrganizationId,
  type PaymentGatewayPort,
  type PaymentRequest,
  type StatusChange,
} from '@memberpay/core';
import { aRemittanceInput } from '@memberpay/core/testing';
import { StripePaymentGateway } from '@memberpay/stripe-adapter';
import { type StripeSimulator, startStripeSimulator } from '@memberpay/stripe-adapter/simulator';
import type { Result } from 'neverthrow';
import { PostgresStorage } from '../../src/index';
import type { TestDatabase } from './test-database';

/** The value of a use case that must succeed; when it did not, its error is thrown. */
export function succeeded<T, E>(result: Result<T, E>): T {
  if (result.isErr()) {
    throw result.error;
  }

  return result.value;
}

/** An 835 remittance from the test payer, paid on 2024-01-08, with these claim payments. */
export const remittance = aRemittanceInput;

/** One SDK instance, as one host process runs it: its own storage (its own pool on a server). */
export interface Instance {
  readonly sdk: MemberPayments;
  readonly storage: PostgresStorage;
  /** Every committed status change this instance announced. */
  readonly changes: StatusChange[];
}

export function instanceOn(
  database: TestDatabase,
  gateway: PaymentGatewayPort,
  options: Partial<MemberPaymentsOptions> = {},
): Instance {
  const storage = new PostgresStorage({ ...database.connection(), schema: database.schema });
  const changes: StatusChange[] = [];
  const sdk = createMemberPayments({
    storage,
    gateway,
    options,
    onStatusChange: (change) => changes.push(change),
  });
  return { sdk, storage, changes };
}

/** An organization that bills members; its payout account is completed by `onboard`. */
export async function billingOrganization(
  sdk: MemberPayments,
  id: string,
  onboard: (accountId: string) => Promise<void>,
  settings: { readonly generateFromRemittance?: boolean } = {},
): Promise<OrganizationId> {
  const organization = await sdk.organizations.create({
    id,
    name: `Clinic ${id}`,
    timeZone: 'America/New_York',
    settings: { memberPaymentsEnabled: true, ...settings },
  });
  const link = await sdk.organizations.startPayoutOnboarding(succeeded(organization).id, {
    refreshUrl: 'https://clinic.example/refresh',
    returnUrl: 'https://clinic.example/return',
  });
  await onboard(succeeded(link).accountId);

  return succeeded(await sdk.organizations.refreshPayoutAccount(asId(id))).id;
}

/** A member with a claim for each patient control number; returns the claims' ids. */
export async function memberWithClaims(
  sdk: MemberPayments,
  organizationId: OrganizationId,
  name: string,
  patientControlNumbers: readonly string[],
): Promise<ClaimId[]> {
  const member = succeeded(
    await sdk.members.create(organizationId, { name, email: `${name}@example.test` }),
  );
  const claims: ClaimId[] = [];
  for (const patientControlNumber of patientControlNumbers) {
    const claim = await sdk.claims.create(organizationId, {
      memberId: member.id,
      patientControlNumber,
      dateOfService: '2024-01-02',
      chargeAmount: '200.00',
    });
    claims.push(succeeded(claim).id);
  }
  return claims;
}

/** A draft request for a claim, of `amountMinor` cents. */
export async function draftFor(
  sdk: MemberPayments,
  organizationId: OrganizationId,
  claimId: ClaimId,
  amountMinor: number,
): Promise<PaymentRequest> {
  const created = await sdk.requests.create(organizationId, {
    claimId,
    internalId: `INV-${claimId}`,
    amount: { minor: amountMinor, currency: 'usd' },
    createdBy: 'staff_1',
  });
  return succeeded(created);
}

/** The local Stripe simulator, and what it saw. */
export interface SimulatedStripe {
  readonly sim: StripeSimulator;
  /** A new gateway on the simulator, as each host process builds its own. */
  readonly gateway: () => StripePaymentGateway;
  /** How many invoices the simulator created for each payment request (by its metadata). */
  readonly invoicesPerRequest: () => Map<string, number>;
  /** How many `send` calls the simulator carried out for each invoice (replays not counted). */
  readonly sendsPerInvoice: () => Map<string, number>;
  readonly close: () => Promise<void>;
}

export async function simulatedStripe(): Promise<SimulatedStripe> {
  const sim = await startStripeSimulator({ port: 0 });

  return {
    sim,
    gateway: () =>
      new StripePaymentGateway({
        secretKey: sim.apiKey,
        api: sim.stripeOptions,
        maxNetworkRetries: 0,
        maxRequestsPerSecond: null,
        // Requests of one member may ask for its customer at the same moment: the second
        // waits while the first holds the idempotency key, for as long as a busy machine needs.
        retry: { maxAttempts: 12, baseDelayMs: 20, maxDelayMs: 500 },
      }),
    invoicesPerRequest: () =>
      tally(
        sim.events.list({ type: 'invoice.created' }).map((event) => {
          const invoice = event.data.object as { metadata?: Record<string, string> | null };
          return invoice.metadata?.memberpay_request_id ?? '(none)';
        }),
      ),
    sendsPerInvoice: () =>
      tally(
        sim.calls
          .list()
          .filter((call) => call.method === 'POST' && call.route === '/v1/invoices/:id/send')
          .filter((call) => call.status === 200 && !call.replayed)
          .map((call) => call.path.split('/')[3] ?? '(none)'),
      ),
    close: () => sim.close(),
  };
}

function tally(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
