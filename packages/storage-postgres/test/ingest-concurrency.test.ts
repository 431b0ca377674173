import {
  type ClaimId,
  type ClaimPaymentInput,
  createMemberPayments,
  type MemberPayments,
  type OrganizationId,
  type PaymentRequest,
  type StoragePort,
  type UnitOfWork,
} from '@memberpay/core';
import { aClaimPaymentInput, aReversalInput, FakePaymentGateway } from '@memberpay/core/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresStorage } from '../src/index';
import { billingOrganization, memberWithClaims, remittance, succeeded } from './support/sdk';
import { chooseBackend, openTestDatabase, type TestDatabase } from './support/test-database';

/**
 * Remittance ingestion on PostgreSQL with two host processes at once: what one process planned
 * from rows it read must still hold when it writes, or the result differs from any serial order.
 * Each interleaving is forced with a gate on one repository call, so the tests are
 * deterministic: the paused unit of work has only read when the other process runs.
 */

const backend = await chooseBackend();

let database: TestDatabase;
// One fake Stripe for the file: its ids are unique only within one instance.
const gateway = new FakePaymentGateway();

beforeAll(async () => {
  database = await openTestDatabase(backend);
});

afterAll(async () => {
  await database?.close();
});

/** A point where one process waits, until the test lets it go on. */
class Gate {
  #reach: () => void = () => undefined;
  #release: () => void = () => undefined;
  readonly reached = new Promise<void>((resolve) => {
    this.#reach = resolve;
  });
  readonly #released = new Promise<void>((resolve) => {
    this.#release = resolve;
  });
  #passed = false;

  /** The first caller waits at the gate; later callers pass. */
  wait(): Promise<void> | null {
    if (this.#passed) {
      return null;
    }

    this.#passed = true;
    this.#reach();
    return this.#released;
  }

  open(): void {
    this.#release();
  }
}

/** Called before every repository call of a unit of work, by `repository.method`. */
type Hook = (call: string) => Promise<void> | null;

/** A storage whose units of work run `hook` before each repository call. */
function hookedStorage(inner: StoragePort, hook: Hook): StoragePort {
  return {
    transaction: (work) => inner.transaction((tx) => work(hookedUnit(tx, hook))),
  };
}

function hookedUnit(tx: UnitOfWork, hook: Hook): UnitOfWork {
  const wrapped: Record<string, unknown> = {};
  for (const [name, repository] of Object.entries(tx)) {
    wrapped[name] = new Proxy(repository as object, {
      get(target, method, receiver) {
        const value = Reflect.get(target, method, receiver);
        if (typeof value !== 'function') {
          return value;
        }

        return async (...args: unknown[]) => {
          await hook(`${name}.${String(method)}`);
          return (value as (...given: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }
  return wrapped as unknown as UnitOfWork;
}

/** Stops at `gate` the first time `at` is called. */
function stopAt(at: string, gate: Gate): Hook {
  return (call) => (call === at ? gate.wait() : null);
}

/** One host process: its own pool, its units of work seen by `hook` when given. */
function instance(hook?: Hook): MemberPayments {
  const postgres = new PostgresStorage({ ...database.connection(), schema: database.schema });
  const storage = hook ? hookedStorage(postgres, hook) : postgres;
  return createMemberPayments({ storage, gateway });
}

let organizations = 0;

/** An organization generating requests from remittances, with one member and one claim. */
async function clinicWithClaim(
  sdk: MemberPayments,
  pcn: string,
): Promise<{ organizationId: OrganizationId; claimId: ClaimId }> {
  organizations += 1;
  const organizationId = await billingOrganization(
    sdk,
    `org_concurrent_${organizations}_${Date.now()}`,
    async (accountId) => {
      gateway.completeOnboarding(accountId);
    },
    { generateFromRemittance: true },
  );
  const [claimId] = await memberWithClaims(sdk, organizationId, `member${organizations}`, [pcn]);
  return { organizationId, claimId: claimId as ClaimId };
}

/** A processed claim payment by the primary payer: the member owes `owed` cents. */
function owes(pcn: string, owed: number, ccn = `CCN-${pcn}`): ClaimPaymentInput {
  return aClaimPaymentInput(pcn, owed, { payerClaimControlNumber: ccn });
}

async function requestsOf(
  sdk: MemberPayments,
  organizationId: OrganizationId,
  claimId: ClaimId,
): Promise<PaymentRequest[]> {
  const all = succeeded(
    await sdk.requests.list(organizationId, { includeDeleted: true }, { limit: 100 }),
  );
  return all.filter((request) => request.claimId === claimId);
}

function open(requests: readonly PaymentRequest[]): PaymentRequest[] {
  return requests.filter(
    (request) => !['canceled', 'refunded', 'charged_back'].includes(request.status),
  );
}

/** Bills the claim's draft and lets the member pay it by card; returns the paid request. */
async function sendAndPay(
  sdk: MemberPayments,
  organizationId: OrganizationId,
  claimId: ClaimId,
): Promise<PaymentRequest> {
  succeeded(await sdk.batch.runNow(organizationId));
  const [sent] = open(await requestsOf(sdk, organizationId, claimId));
  const invoiceId = sent?.gateway.invoiceId as string;
  for (const event of gateway.payByCard(invoiceId)) {
    succeeded(await sdk.webhooks.apply(event));
  }

  const [paid] = open(await requestsOf(sdk, organizationId, claimId));
  expect(paid?.status).toBe('paid');
  return paid as PaymentRequest;
}

describe('remittance ingestion beside other processes on PostgreSQL', () => {
  test('a visit payment recorded during the first remittance is taken off the bill', async () => {
    // Front desk keys in a 20.00 co-pay while the ERA worker ingests the claim's 835 (50.00).
    const staff = instance();
    const gate = new Gate();
    const worker = instance(stopAt('requests.insert', gate));
    const { organizationId, claimId } = await clinicWithClaim(staff, 'PCN-V1');

    const ingesting = worker.remittances.ingest(
      organizationId,
      remittance('TRC-V1', [owes('PCN-V1', 5000)]),
    );
    await gate.reached;
    succeeded(await staff.claims.recordVisitPayment(organizationId, claimId, '20.00'));
    gate.open();
    succeeded(await ingesting);

    // Either serial order bills 30.00: the draft is cut by the visit payment, or made for
    // what remains after it.
    const billed = open(await requestsOf(staff, organizationId, claimId));
    expect(billed.map((request) => request.amount.minor)).toEqual([3000]);
  });

  test('two remittances restating one claim at once bill the member once', async () => {
    // Two ERA workers each take an 835 naming the claim (a reissued EFT under a new trace).
    const staff = instance();
    const gate = new Gate();
    const first = instance(stopAt('requests.insert', gate));
    const second = instance();
    const { organizationId, claimId } = await clinicWithClaim(staff, 'PCN-D1');

    const ingesting = first.remittances.ingest(
      organizationId,
      remittance('TRC-D1', [owes('PCN-D1', 5000)]),
    );
    await gate.reached;
    succeeded(
      await second.remittances.ingest(organizationId, remittance('TRC-D2', [owes('PCN-D1', 5000)])),
    );
    gate.open();
    succeeded(await ingesting);

    // Serially the later remittance finds the claim already billing 50.00 and changes nothing.
    const billed = open(await requestsOf(staff, organizationId, claimId));
    expect(billed.map((request) => request.amount.minor)).toEqual([5000]);
  });

  test('a correction while staff cancel the paid request waits for staff', async () => {
    // Staff cancel and refund a paid 50.00 while the payer's correction (30.00) is ingested.
    const staff = instance();
    const gate = new Gate();
    const worker = instance(stopAt('requests.get', gate));
    const { organizationId, claimId } = await clinicWithClaim(staff, 'PCN-C1');
    succeeded(
      await staff.remittances.ingest(organizationId, remittance('TRC-C1', [owes('PCN-C1', 5000)])),
    );
    const paid = await sendAndPay(staff, organizationId, claimId);

    const ingesting = worker.remittances.ingest(
      organizationId,
      remittance('TRC-C2', [aReversalInput('PCN-C1', 5000), owes('PCN-C1', 3000, 'CCN-C1-2')]),
    );
    await gate.reached;
    succeeded(await staff.requests.cancel(organizationId, paid.id, 'staff_1'));
    gate.open();
    const report = succeeded(await ingesting);

    // As if staff came first: the correction meets the staff cancel and waits for staff; no
    // refund is asked for that the gateway must refuse.
    const [after] = (await requestsOf(staff, organizationId, claimId)).filter(
      (request) => request.id === paid.id,
    );
    const failed = (after?.refunds ?? []).filter((refund) => refund.status === 'failed');
    expect(report.changed).toEqual([]);
    expect(report.heldForReview.map((item) => item.patientControlNumber)).toEqual(['PCN-C1']);
    expect(failed.map((refund) => refund.purpose)).toEqual([]);
  });

  test('one remittance ingested twice at once stores its refund intent once', async () => {
    // Two ERA workers pick up the same 835 (a redelivery) whose correction refunds 20.00.
    const staff = instance();
    const gate = new Gate();
    const late = instance(stopAt('requests.get', gate));
    const early = instance();
    const { organizationId, claimId } = await clinicWithClaim(staff, 'PCN-R1');
    succeeded(
      await staff.remittances.ingest(organizationId, remittance('TRC-R1', [owes('PCN-R1', 5000)])),
    );
    const paid = await sendAndPay(staff, organizationId, claimId);
    const correction = remittance('TRC-R2', [
      aReversalInput('PCN-R1', 5000),
      owes('PCN-R1', 3000, 'CCN-R1-2'),
    ]);

    const ingesting = late.remittances.ingest(organizationId, correction);
    await gate.reached;
    succeeded(await early.remittances.ingest(organizationId, correction));
    gate.open();
    succeeded(await ingesting);

    // One refund of 20.00, recorded once; a second intent under the same key stays
    // `requested` for ever, and counts as 20.00 more under way when the claim is restated.
    const [after] = (await requestsOf(staff, organizationId, claimId)).filter(
      (request) => request.id === paid.id,
    );
    expect(after?.refunds.map((refund) => [refund.amount?.minor, refund.status])).toEqual([
      [2000, 'pending'],
    ]);
  });
});
