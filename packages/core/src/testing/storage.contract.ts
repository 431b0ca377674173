import { err, ok } from 'neverthrow';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { DomainError } from '../domain/errors';
import { asId, type OrganizationId } from '../domain/ids';
import { asLocalDate } from '../domain/local-date';
import { money } from '../domain/money';
import type { PaymentRequest, RequestSource } from '../domain/payment-request';
import type { StoragePort, UnitOfWork } from '../ports/storage.port';
import {
  ACTIVE_PAYOUT_ACCOUNT,
  aClaim,
  aClaimPayment,
  aMember,
  anAuditEntry,
  anOrganization,
  aPaymentRequest,
  aRemittance,
  T0,
} from './fixtures';

export interface StorageHarness {
  readonly storage: StoragePort;
  /** Another handle on the same data (another pool, another process's view), when there is one. */
  readonly second?: StoragePort;
  /** Empties every table, between tests. */
  readonly reset: () => Promise<void>;
  readonly close: () => Promise<void>;
}

export interface StorageContractOptions {
  /**
   * Whether units of work really run at the same time (several connections). When false the
   * concurrency tests still run, and prove the adapter serializes instead.
   */
  readonly concurrent: boolean;
  /** Why concurrent tests are skipped, when they are; printed once. */
  readonly skipConcurrentReason?: string;
}

const ORG_A = asId<'Organization'>('org_a');
const ORG_B = asId<'Organization'>('org_b');
const LATER = new Date(T0.getTime() + 60_000);

/**
 * A request of ORG_A or ORG_B for the member and claim the seed gives that organization: a
 * request never names another organization's member or claim, nor one that does not exist.
 */
function aRequestOf(
  organizationId: OrganizationId,
  overrides: Partial<PaymentRequest> = {},
): PaymentRequest {
  const own = organizationId === ORG_A ? 'a' : 'b';
  return aPaymentRequest({
    organizationId,
    memberId: asId(`mem_${own}`),
    claimId: asId(`clm_${own}`),
    ...overrides,
  });
}

/**
 * The behaviour every storage adapter must show. Run it with a harness factory:
 * `describeStorageContract('in-memory', async () => ({ storage, reset, close }))`.
 */
export function describeStorageContract(
  name: string,
  makeHarness: () => Promise<StorageHarness>,
  options: StorageContractOptions = { concurrent: false },
): void {
  describe(`storage contract: ${name}`, () => {
    let harness: StorageHarness;
    let ready: Promise<StorageHarness> | null = null;

    beforeEach(async () => {
      ready ??= makeHarness();
      harness = await ready;
      await harness.reset();
      await seedTwoOrganizations(harness.storage);
    });

    afterAll(async () => {
      if (ready) {
        await (await ready).close();
      }
    });

    const run = <T>(work: (tx: UnitOfWork) => Promise<T>) =>
      harness.storage.transaction(async (tx) => ok(await work(tx)));

    const value = async <T>(work: (tx: UnitOfWork) => Promise<T>): Promise<T> =>
      (await run(work))._unsafeUnwrap();

    const failure = async <T>(work: (tx: UnitOfWork) => Promise<T>): Promise<DomainError> =>
      (await run(work))._unsafeUnwrapErr();

    describe('organizations', () => {
      test('round-trips every field, payout account included', async () => {
        const stored = await value((tx) => tx.organizations.get(ORG_A));

        expect(stored).toEqual(
          anOrganization({ id: ORG_A, name: 'Clinic A', payoutAccount: ACTIVE_PAYOUT_ACCOUNT }),
        );
      });

      test('update bumps version; a stale version conflicts (STORAGE.CONFLICT)', async () => {
        const current = await value((tx) => tx.organizations.get(ORG_A));
        const renamed = await value((tx) =>
          tx.organizations.update({ ...current!, name: 'Renamed' }),
        );

        const stale = await failure((tx) =>
          tx.organizations.update({ ...current!, name: 'Lost update' }),
        );

        expect(renamed.version).toBe(current!.version + 1);
        expect(stale.code).toBe('STORAGE.CONFLICT');
        expect((await value((tx) => tx.organizations.get(ORG_A)))?.name).toBe('Renamed');
      });

      test('the same id twice is a duplicate (STORAGE.DUPLICATE)', async () => {
        const error = await failure((tx) => tx.organizations.insert(anOrganization({ id: ORG_A })));

        expect(error.code).toBe('STORAGE.DUPLICATE');
      });

      test('finds an organization by payout account; accounts are one-to-one', async () => {
        const found = await value((tx) => tx.organizations.findByPayoutAccount('acct_test_active'));
        const taken = await failure((tx) =>
          tx.organizations.insert(
            anOrganization({ id: asId('org_c'), payoutAccount: ACTIVE_PAYOUT_ACCOUNT }),
          ),
        );

        expect(found?.id).toBe(ORG_A);
        expect(taken.code).toBe('STORAGE.DUPLICATE');
      });

      test('lists in id order, page by page', async () => {
        const first = await value((tx) => tx.organizations.list({ limit: 1 }));
        const second = await value((tx) =>
          tx.organizations.list({ limit: 1, after: first[0]?.id ?? null }),
        );

        expect(first.map((org) => org.id)).toEqual([ORG_A]);
        expect(second.map((org) => org.id)).toEqual([ORG_B]);
      });
    });

    describe('members and claims', () => {
      test('round-trip, scoped by organization', async () => {
        const member = await value((tx) => tx.members.get(ORG_A, asId('mem_a')));
        const foreign = await value((tx) => tx.members.get(ORG_B, asId('mem_a')));
        const claim = await value((tx) => tx.claims.get(ORG_A, asId('clm_a')));

        expect(member).toEqual(aMember({ id: asId('mem_a'), organizationId: ORG_A }));
        expect(foreign).toBeNull();
        expect(claim).toEqual(
          aClaim({ id: asId('clm_a'), organizationId: ORG_A, memberId: asId('mem_a') }),
        );
      });

      test('the same external id may exist once per organization', async () => {
        const again = await failure((tx) =>
          tx.members.insert(aMember({ id: asId('mem_a2'), organizationId: ORG_A })),
        );
        const byExternal = await value((tx) => tx.members.findByExternalId(ORG_B, 'MEM0001'));

        expect(again.code).toBe('STORAGE.DUPLICATE');
        expect(byExternal?.id).toBe('mem_b');
      });

      test('a patient control number is unique within an organization', async () => {
        const again = await failure((tx) =>
          tx.claims.insert(
            aClaim({ id: asId('clm_a2'), organizationId: ORG_A, memberId: asId('mem_a') }),
          ),
        );
        const found = await value((tx) => tx.claims.findByPatientControlNumber(ORG_B, 'PCN-1001'));
        const listed = await value((tx) => tx.claims.listByMember(ORG_A, asId('mem_a')));

        expect(again.code).toBe('STORAGE.DUPLICATE');
        expect(found?.id).toBe('clm_b');
        expect(listed.map((claim) => claim.id)).toEqual(['clm_a']);
      });

      test('an update can never move a row to another organization', async () => {
        const member = await value((tx) => tx.members.get(ORG_A, asId('mem_a')));
        const moved = await failure((tx) =>
          tx.members.update({ ...member!, organizationId: ORG_B }),
        );

        expect(moved.code).toBe('STORAGE.CONFLICT');
        expect((await value((tx) => tx.members.get(ORG_A, asId('mem_a'))))?.version).toBe(1);
      });
    });

    describe('payment requests', () => {
      test('round-trip every field', async () => {
        const full = fullRequest();
        await value((tx) => tx.requests.insert(full));

        expect(await value((tx) => tx.requests.get(ORG_A, full.id))).toEqual(full);
      });

      test('a stale update is a conflict and changes nothing', async () => {
        const request = await value((tx) => tx.requests.get(ORG_A, asId('req_a1')));
        await value((tx) => tx.requests.update({ ...request!, internalId: 'first' }));

        const error = await failure((tx) =>
          tx.requests.update({ ...request!, internalId: 'second' }),
        );
        const stored = await value((tx) => tx.requests.get(ORG_A, asId('req_a1')));

        expect(error.code).toBe('STORAGE.CONFLICT');
        expect(stored?.internalId).toBe('first');
        expect(stored?.version).toBe(2);
      });

      test('one request per invoice, one per claim payment', async () => {
        await value((tx) =>
          tx.requests.insert(
            aRequestOf(ORG_A, {
              id: asId('req_inv_1'),
              status: 'sent',
              gateway: { ...aPaymentRequest().gateway, invoiceId: 'in_1' },
            }),
          ),
        );
        const sameInvoice = await failure((tx) =>
          tx.requests.insert(
            aRequestOf(ORG_A, {
              id: asId('req_inv_2'),
              gateway: { ...aPaymentRequest().gateway, invoiceId: 'in_1' },
            }),
          ),
        );
        const source: RequestSource = {
          kind: 'remittance',
          remittanceId: asId('rem_1'),
          claimPaymentKey: 'k1',
        };
        await value((tx) => tx.requests.insert(aRequestOf(ORG_A, { id: asId('req_k1'), source })));
        const sameClaimPayment = await failure((tx) =>
          tx.requests.insert(aRequestOf(ORG_A, { id: asId('req_k2'), source })),
        );

        expect(sameInvoice.code).toBe('STORAGE.DUPLICATE');
        expect(sameClaimPayment.code).toBe('STORAGE.DUPLICATE');
        expect((await value((tx) => tx.requests.findByInvoiceId(ORG_A, 'in_1')))?.id).toBe(
          'req_inv_1',
        );
        expect(await value((tx) => tx.requests.findByInvoiceId(ORG_B, 'in_1'))).toBeNull();
      });

      test('lists by member, claim and status, oldest first, page by page', async () => {
        const all = await value((tx) => tx.requests.list(ORG_A, {}, { limit: 10 }));
        const drafts = await value((tx) =>
          tx.requests.list(ORG_A, { statuses: ['draft'] }, { limit: 10 }),
        );
        const byClaim = await value((tx) =>
          tx.requests.list(ORG_A, { claimId: asId('clm_a') }, { limit: 10 }),
        );
        const byMember = await value((tx) =>
          tx.requests.list(ORG_A, { memberId: asId('mem_b') }, { limit: 10 }),
        );
        const page2 = await value((tx) =>
          tx.requests.list(ORG_A, {}, { limit: 2, after: all[1]?.id ?? null }),
        );

        expect(all.map((request) => request.id)).toEqual(['req_a1', 'req_a2', 'req_a3']);
        expect(drafts.map((request) => request.id)).toEqual(['req_a1', 'req_a2']);
        expect(byClaim.map((request) => request.id)).toEqual(['req_a1', 'req_a2', 'req_a3']);
        expect(byMember).toEqual([]);
        expect(page2.map((request) => request.id)).toEqual(['req_a3']);
      });

      test('pages go on after a row outside the filter, start over after one gone', async () => {
        const sentAfterDraft = await value((tx) =>
          tx.requests.list(ORG_A, { statuses: ['sent'] }, { limit: 10, after: 'req_a1' }),
        );
        const draftsAfterSent = await value((tx) =>
          tx.requests.list(ORG_A, { statuses: ['draft'] }, { limit: 10, after: 'req_a3' }),
        );
        const afterGone = await value((tx) =>
          tx.requests.list(ORG_A, {}, { limit: 10, after: 'req_gone' }),
        );
        const afterOtherOrganization = await value((tx) =>
          tx.requests.list(ORG_A, {}, { limit: 10, after: 'req_b1' }),
        );

        expect(sentAfterDraft.map((request) => request.id)).toEqual(['req_a3']);
        expect(draftsAfterSent).toEqual([]);
        expect(afterGone.map((request) => request.id)).toEqual(['req_a1', 'req_a2', 'req_a3']);
        expect(afterOtherOrganization.map((request) => request.id)).toEqual([
          'req_a1',
          'req_a2',
          'req_a3',
        ]);
      });

      test('deleted requests are hidden unless asked for; removed ones are gone', async () => {
        const request = await value((tx) => tx.requests.get(ORG_A, asId('req_a3')));
        await value((tx) => tx.requests.update({ ...request!, deletedAt: LATER }));
        const draft = await value((tx) => tx.requests.get(ORG_A, asId('req_a1')));
        await value((tx) => tx.requests.remove(draft!));

        const visible = await value((tx) => tx.requests.list(ORG_A, {}, { limit: 10 }));
        const everything = await value((tx) =>
          tx.requests.list(ORG_A, { includeDeleted: true }, { limit: 10 }),
        );

        expect(visible.map((row) => row.id)).toEqual(['req_a2']);
        expect(everything.map((row) => row.id)).toEqual(['req_a2', 'req_a3']);
        expect(await value((tx) => tx.requests.get(ORG_A, asId('req_a1')))).toBeNull();
      });

      test('open requests of a claim leave out canceled and refunded ones', async () => {
        const request = await value((tx) => tx.requests.get(ORG_A, asId('req_a2')));
        await value((tx) => tx.requests.update({ ...request!, status: 'canceled' }));

        const open = await value((tx) => tx.requests.findOpenForClaim(ORG_A, asId('clm_a')));

        expect(open.map((row) => row.id)).toEqual(['req_a1', 'req_a3']);
      });

      test('claimable: drafts before cutoff, not held, not tried in this run', async () => {
        await value(async (tx) => {
          await tx.requests.insert(
            aRequestOf(ORG_A, {
              id: asId('req_review'),
              createdAt: new Date(T0.getTime() + 3),
              hold: { code: 'needs_review', message: 'mismatch', since: T0 },
            }),
          );
          await tx.requests.insert(
            aRequestOf(ORG_A, {
              id: asId('req_late'),
              createdAt: new Date(T0.getTime() + 120_000),
            }),
          );
          await tx.requests.insert(
            aRequestOf(ORG_A, {
              id: asId('req_tried'),
              createdAt: new Date(T0.getTime() + 4),
              sendAttempt: {
                revision: 1,
                attempts: 1,
                leaseOwner: null,
                leaseExpiresAt: null,
                lastAttemptAt: LATER,
                invoiceRequestedAt: null,
                lastError: { kind: 'unavailable', message: 'down' },
              },
            }),
          );
          await tx.requests.insert(
            aRequestOf(ORG_A, {
              id: asId('req_expired'),
              status: 'sending',
              createdAt: new Date(T0.getTime() + 5),
              sendAttempt: {
                revision: 1,
                attempts: 1,
                leaseOwner: 'worker-dead',
                leaseExpiresAt: new Date(T0.getTime() + 30_000),
                lastAttemptAt: T0,
                invoiceRequestedAt: null,
                lastError: null,
              },
            }),
          );
          await tx.requests.insert(
            aRequestOf(ORG_A, {
              id: asId('req_leased'),
              status: 'sending',
              createdAt: new Date(T0.getTime() + 6),
              sendAttempt: {
                revision: 1,
                attempts: 1,
                leaseOwner: 'worker-alive',
                leaseExpiresAt: new Date(T0.getTime() + 600_000),
                lastAttemptAt: T0,
                invoiceRequestedAt: null,
                lastError: null,
              },
            }),
          );
        });

        const claimable = await value((tx) =>
          tx.requests.findClaimable(ORG_A, {
            now: LATER,
            cutoff: new Date(T0.getTime() + 60_000),
            notAttemptedSince: LATER,
            limit: 10,
          }),
        );
        const limited = await value((tx) =>
          tx.requests.findClaimable(ORG_A, {
            now: LATER,
            cutoff: new Date(T0.getTime() + 60_000),
            notAttemptedSince: LATER,
            limit: 1,
          }),
        );

        expect(claimable.map((row) => row.id)).toEqual(['req_a1', 'req_a2', 'req_expired']);
        expect(limited.map((row) => row.id)).toEqual(['req_a1']);
      });

      test('texts due: waiting texts whose time has come', async () => {
        const request = await value((tx) => tx.requests.get(ORG_A, asId('req_a3')));
        await value((tx) =>
          tx.requests.update({
            ...request!,
            text: {
              status: 'waiting',
              notBefore: LATER,
              sentAt: null,
              messageId: null,
              error: null,
            },
          }),
        );

        const early = await value((tx) => tx.requests.findTextsDue(ORG_A, T0, 10));
        const due = await value((tx) => tx.requests.findTextsDue(ORG_A, LATER, 10));

        expect(early).toEqual([]);
        expect(due.map((row) => row.id)).toEqual(['req_a3']);
      });

      test('follow-ups: unanswered refunds before the instant, waiting cancels', async () => {
        const refunded = await value((tx) => tx.requests.get(ORG_A, asId('req_a1')));
        const canceling = await value((tx) => tx.requests.get(ORG_A, asId('req_a3')));
        const intent = {
          key: 'req_a1:refund:1',
          gatewayRefundId: null,
          amount: null,
          purpose: 'cancel' as const,
          status: 'requested' as const,
          failureReason: null,
          requestedAt: T0,
        };
        await value(async (tx) => {
          await tx.requests.update({ ...refunded!, status: 'refund_pending', refunds: [intent] });
          await tx.requests.update({ ...canceling!, cancelRequestedAt: T0 });
        });

        const early = await value((tx) => tx.requests.findFollowUps(ORG_A, T0, { limit: 10 }));
        const later = await value((tx) => tx.requests.findFollowUps(ORG_A, LATER, { limit: 10 }));
        const paged = await value((tx) =>
          tx.requests.findFollowUps(ORG_A, LATER, { limit: 1, after: 'req_a1' }),
        );
        const foreign = await value((tx) => tx.requests.findFollowUps(ORG_B, LATER, { limit: 10 }));

        expect(early.map((row) => row.id)).toEqual(['req_a3']);
        expect(later.map((row) => row.id)).toEqual(['req_a1', 'req_a3']);
        expect(paged.map((row) => row.id)).toEqual(['req_a3']);
        expect(foreign).toEqual([]);
      });
    });

    describe('audit trail', () => {
      test('reads back per request, in the order written, scoped by organization', async () => {
        await value(async (tx) => {
          await tx.audit.append(anAuditEntry({ id: asId('aud_1'), organizationId: ORG_A }));
          await tx.audit.append(
            anAuditEntry({
              id: asId('aud_2'),
              organizationId: ORG_A,
              action: 'status_changed',
              from: 'draft',
              to: 'sending',
              actor: { kind: 'batch', runId: asId('run_1') },
            }),
          );
          await tx.audit.append(
            anAuditEntry({ id: asId('aud_other'), organizationId: ORG_A, requestId: asId('x') }),
          );
        });

        const trail = await value((tx) => tx.audit.listForRequest(ORG_A, asId('req_test_1')));
        const foreign = await value((tx) => tx.audit.listForRequest(ORG_B, asId('req_test_1')));

        expect(trail.map((entry) => entry.id)).toEqual(['aud_1', 'aud_2']);
        expect(trail[1]?.actor).toEqual({ kind: 'batch', runId: 'run_1' });
        expect(trail[1]?.sequence).toBeGreaterThan(trail[0]?.sequence ?? Number.POSITIVE_INFINITY);
        expect(foreign).toEqual([]);
      });
    });

    describe('remittances, gateway events, batch runs', () => {
      test('one remittance per source, payer and trace number in an organization', async () => {
        await value((tx) => tx.remittances.insert(aRemittance({ organizationId: ORG_A })));

        const again = await failure((tx) =>
          tx.remittances.insert(aRemittance({ id: asId('rem_2'), organizationId: ORG_A })),
        );
        await value((tx) =>
          tx.remittances.insert(aRemittance({ id: asId('rem_3'), organizationId: ORG_B })),
        );

        const paper = aRemittance({ id: asId('rem_4'), organizationId: ORG_A, source: 'paper' });
        await value((tx) => tx.remittances.insert(paper));
        const find = (source: 'electronic' | 'paper') =>
          value((tx) => tx.remittances.findByTrace(ORG_A, source, '1512345678', 'TRACE0001'));

        expect(again.code).toBe('STORAGE.DUPLICATE');
        expect((await find('electronic'))?.id).toBe('rem_test_1');
        expect((await find('paper'))?.id).toBe('rem_4');
      });

      test('one record per claim-payment key', async () => {
        await value((tx) => tx.remittances.insert(aRemittance({ organizationId: ORG_A })));
        await value((tx) =>
          tx.remittances.insertClaimPayment(aClaimPayment({ organizationId: ORG_A })),
        );

        const again = await failure((tx) =>
          tx.remittances.insertClaimPayment(
            aClaimPayment({ id: asId('cpay_2'), organizationId: ORG_A }),
          ),
        );
        const listed = await value((tx) =>
          tx.remittances.listClaimPayments(ORG_A, asId('rem_test_1')),
        );

        expect(again.code).toBe('STORAGE.DUPLICATE');
        expect(listed).toEqual([aClaimPayment({ organizationId: ORG_A })]);
        expect(
          await value((tx) => tx.remittances.findClaimPayment(ORG_B, aClaimPayment().key)),
        ).toBeNull();
      });

      test('a claim’s claim payments, from every remittance, in the order recorded', async () => {
        await value((tx) => tx.remittances.insert(aRemittance({ organizationId: ORG_A })));
        await value((tx) =>
          tx.remittances.insert(
            aRemittance({ id: asId('rem_2'), organizationId: ORG_A, traceNumber: 'TRACE0002' }),
          ),
        );
        const recorded = [
          aClaimPayment({ id: asId('cpay_b'), organizationId: ORG_A }),
          aClaimPayment({
            id: asId('cpay_a'),
            organizationId: ORG_A,
            remittanceId: asId('rem_2'),
            key: '1512345678|TRACE0002|PCN-1001|CLM0001|2',
            statusCode: '2',
          }),
          aClaimPayment({
            id: asId('cpay_c'),
            organizationId: ORG_A,
            key: '1512345678|TRACE0001|PCN-9|CLM9|1',
            claimId: null,
            outcome: 'unmatched',
          }),
        ];
        for (const record of recorded) {
          await value((tx) => tx.remittances.insertClaimPayment(record));
        }

        const listed = await value((tx) =>
          tx.remittances.listClaimPaymentsForClaim(ORG_A, asId('clm_test_1')),
        );

        expect(listed.map((record) => record.id)).toEqual(['cpay_b', 'cpay_a']);
        expect(
          await value((tx) => tx.remittances.listClaimPaymentsForClaim(ORG_B, asId('clm_test_1'))),
        ).toEqual([]);
      });

      test('a gateway event is applied once', async () => {
        const event = {
          eventId: 'evt_1',
          organizationId: ORG_A,
          type: 'invoice.paid',
          appliedAt: T0,
        };
        await value((tx) => tx.gatewayEvents.record(event));

        const again = await failure((tx) => tx.gatewayEvents.record(event));

        expect(again.code).toBe('STORAGE.DUPLICATE');
        expect(await value((tx) => tx.gatewayEvents.has('evt_1'))).toBe(true);
        expect(await value((tx) => tx.gatewayEvents.has('evt_2'))).toBe(false);
      });

      test('one scheduled batch run per organization and local day', async () => {
        const run = {
          id: asId<'BatchRun'>('run_1'),
          organizationId: ORG_A,
          localDate: asLocalDate('2024-01-10'),
          kind: 'scheduled' as const,
          cutoff: T0,
          startedAt: T0,
          finishedAt: null,
          version: 1,
        };
        await value((tx) => tx.batchRuns.insert(run));

        const again = await failure((tx) => tx.batchRuns.insert({ ...run, id: asId('run_2') }));
        await value((tx) => tx.batchRuns.insert({ ...run, id: asId('run_3'), kind: 'manual' }));
        const finished = await value((tx) => tx.batchRuns.update({ ...run, finishedAt: LATER }));

        expect(again.code).toBe('STORAGE.DUPLICATE');
        expect(finished.version).toBe(2);
        expect(
          await value((tx) => tx.batchRuns.findScheduled(ORG_A, asLocalDate('2024-01-10'))),
        ).toEqual(finished);
        expect((await value((tx) => tx.batchRuns.latestScheduled(ORG_A)))?.id).toBe('run_1');
        expect(await value((tx) => tx.batchRuns.latestScheduled(ORG_B))).toBeNull();
      });
    });

    describe('units of work', () => {
      test('an err result rolls back everything the unit wrote', async () => {
        const outcome = await harness.storage.transaction(async (tx) => {
          await tx.requests.insert(aRequestOf(ORG_A, { id: asId('req_new') }));
          await tx.audit.append(anAuditEntry({ id: asId('aud_new'), organizationId: ORG_A }));
          const member = await tx.members.get(ORG_A, asId('mem_a'));
          await tx.members.update({ ...member!, name: 'Changed' });
          return err(new DomainError('INPUT.INVALID', 'nothing may stay'));
        });

        expect(outcome.isErr()).toBe(true);
        expect(await value((tx) => tx.requests.get(ORG_A, asId('req_new')))).toBeNull();
        expect(await value((tx) => tx.audit.listForRequest(ORG_A, asId('req_test_1')))).toEqual([]);
        expect((await value((tx) => tx.members.get(ORG_A, asId('mem_a'))))?.name).toBe('Jane Doe');
      });

      test('a storage error part way rolls back the earlier writes', async () => {
        const error = await failure(async (tx) => {
          await tx.requests.insert(aRequestOf(ORG_A, { id: asId('req_new') }));
          await tx.organizations.insert(anOrganization({ id: ORG_A }));
        });

        expect(error.code).toBe('STORAGE.DUPLICATE');
        expect(await value((tx) => tx.requests.get(ORG_A, asId('req_new')))).toBeNull();
      });

      test('an exception rolls back and is rethrown', async () => {
        const attempt = harness.storage.transaction(async (tx) => {
          await tx.requests.insert(aRequestOf(ORG_A, { id: asId('req_new') }));
          throw new Error('bug');
        });

        await expect(attempt).rejects.toThrow('bug');
        expect(await value((tx) => tx.requests.get(ORG_A, asId('req_new')))).toBeNull();
      });
    });

    describe('tenancy', () => {
      test('no read reaches another organization’s rows', async () => {
        const seen = await value(async (tx) => [
          await tx.members.get(ORG_A, asId('mem_b')),
          await tx.claims.get(ORG_A, asId('clm_b')),
          await tx.requests.get(ORG_A, asId('req_b1')),
          await tx.claims.findByPatientControlNumber(ORG_A, 'PCN-B-ONLY'),
          await tx.members.findByExternalId(ORG_A, 'MEM-B-ONLY'),
          ...(await tx.members.list(ORG_A, { limit: 100 })),
          ...(await tx.claims.listByMember(ORG_A, asId('mem_b'))),
          ...(await tx.requests.list(ORG_A, { includeDeleted: true }, { limit: 100 })),
          ...(await tx.requests.findOpenForClaim(ORG_A, asId('clm_b'))),
          ...(await tx.requests.findClaimable(ORG_A, {
            now: LATER,
            cutoff: LATER,
            notAttemptedSince: LATER,
            limit: 100,
          })),
          ...(await tx.requests.findTextsDue(ORG_A, LATER, 100)),
          ...(await tx.requests.findFollowUps(ORG_A, LATER, { limit: 100 })),
          ...(await tx.audit.listForRequest(ORG_A, asId('req_b1'))),
        ]);

        const foreign = seen.filter(
          (row) =>
            row !== null && (row as { organizationId: OrganizationId }).organizationId !== ORG_A,
        );
        expect(seen.filter((row) => row === null)).toHaveLength(5);
        expect(foreign).toEqual([]);
      });
    });

    describe('concurrency', () => {
      if (!options.concurrent) {
        const reason = options.skipConcurrentReason ?? 'n/a';
        test.skip(`on several connections at once: ${reason}`, () => {
          // The tests below still run, serialized through this adapter's single connection.
        });
      }

      test('two workers claiming drafts at once never take the same one', async () => {
        await value(async (tx) => {
          for (let index = 0; index < 20; index += 1) {
            await tx.requests.insert(
              aRequestOf(ORG_B, {
                id: asId(`req_bulk_${String(index).padStart(2, '0')}`),
                createdAt: new Date(T0.getTime() - 1000 + index),
              }),
            );
          }
        });
        const other = harness.second ?? harness.storage;

        const claimWith = (storage: StoragePort, owner: string) =>
          storage.transaction(async (tx) => {
            const rows = await tx.requests.findClaimable(ORG_B, {
              now: LATER,
              cutoff: LATER,
              notAttemptedSince: LATER,
              limit: 6,
            });
            await sleep(20);
            for (const row of rows) {
              await tx.requests.update(sendingBy(row, owner));
            }
            return ok(rows.map((row) => row.id));
          });
        const taken = await Promise.all([
          claimWith(harness.storage, 'w1'),
          claimWith(other, 'w2'),
          claimWith(harness.storage, 'w3'),
          claimWith(other, 'w4'),
        ]);

        const ids = taken.flatMap((result) => result._unsafeUnwrap());
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.filter((id) => id.startsWith('req_bulk_'))).toHaveLength(20);
      });

      test('two writers of one row: exactly one wins, the other gets a conflict', async () => {
        const other = harness.second ?? harness.storage;
        const request = await value((tx) => tx.requests.get(ORG_A, asId('req_a1')));

        const outcomes = await Promise.all(
          [harness.storage, other].map((storage, index) =>
            storage.transaction(async (tx) => {
              await sleep(10);
              return ok(await tx.requests.update({ ...request!, internalId: `writer-${index}` }));
            }),
          ),
        );

        expect(outcomes.filter((outcome) => outcome.isOk())).toHaveLength(1);
        expect(outcomes.find((outcome) => outcome.isErr())?._unsafeUnwrapErr().code).toBe(
          'STORAGE.CONFLICT',
        );
      });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sendingBy(request: PaymentRequest, owner: string): PaymentRequest {
  return {
    ...request,
    status: 'sending',
    sendAttempt: {
      revision: request.revision,
      attempts: 1,
      leaseOwner: owner,
      leaseExpiresAt: new Date(LATER.getTime() + 300_000),
      lastAttemptAt: LATER,
      invoiceRequestedAt: null,
      lastError: null,
    },
  };
}

function fullRequest(): PaymentRequest {
  return aRequestOf(ORG_A, {
    id: asId('req_full'),
    status: 'refund_pending',
    source: { kind: 'remittance', remittanceId: asId('rem_1'), claimPaymentKey: 'P|T|C|7|1' },
    hold: { code: 'no_delivery_channel', message: 'no email', since: T0 },
    revision: 3,
    gateway: {
      customerId: 'cus_1',
      invoiceId: 'in_full',
      invoiceRevision: 3,
      invoiceNumber: 'ABC-0001',
      hostedInvoiceUrl: 'http://127.0.0.1:1/i/in_full',
    },
    sendAttempt: {
      revision: 3,
      attempts: 2,
      leaseOwner: null,
      leaseExpiresAt: null,
      lastAttemptAt: T0,
      invoiceRequestedAt: T0,
      lastError: { kind: 'rate_limited', message: 'slow down' },
    },
    amountPaid: money(5000),
    amountRefunded: money(1000),
    refunds: [
      {
        key: 'req_full:refund:1',
        gatewayRefundId: 're_1',
        amount: money(4000),
        purpose: 'cancel',
        status: 'pending',
        failureReason: null,
        requestedAt: LATER,
      },
    ],
    dueDate: asLocalDate('2024-02-09'),
    text: { status: 'sent', notBefore: T0, sentAt: LATER, messageId: 'msg_1', error: null },
    cancelRequestedAt: LATER,
    lifecycle: { draft: T0, sent: LATER, paid: LATER, refund_pending: LATER },
    deletedAt: null,
  });
}

async function seedTwoOrganizations(storage: StoragePort): Promise<void> {
  const seeded = await storage.transaction(async (tx) => {
    await tx.organizations.insert(
      anOrganization({ id: ORG_A, name: 'Clinic A', payoutAccount: ACTIVE_PAYOUT_ACCOUNT }),
    );
    await tx.organizations.insert(anOrganization({ id: ORG_B, name: 'Clinic B' }));
    await tx.members.insert(aMember({ id: asId('mem_a'), organizationId: ORG_A }));
    await tx.members.insert(aMember({ id: asId('mem_b'), organizationId: ORG_B }));
    await tx.members.insert(
      aMember({ id: asId('mem_b2'), organizationId: ORG_B, externalId: 'MEM-B-ONLY' }),
    );
    await tx.claims.insert(
      aClaim({ id: asId('clm_a'), organizationId: ORG_A, memberId: asId('mem_a') }),
    );
    await tx.claims.insert(
      aClaim({ id: asId('clm_b'), organizationId: ORG_B, memberId: asId('mem_b') }),
    );
    await tx.claims.insert(
      aClaim({
        id: asId('clm_b2'),
        organizationId: ORG_B,
        memberId: asId('mem_b'),
        patientControlNumber: 'PCN-B-ONLY',
      }),
    );
    await tx.requests.insert(aRequestOf(ORG_A, { id: asId('req_a1') }));
    await tx.requests.insert(
      aRequestOf(ORG_A, { id: asId('req_a2'), createdAt: new Date(T0.getTime() + 1) }),
    );
    await tx.requests.insert(
      aRequestOf(ORG_A, {
        id: asId('req_a3'),
        status: 'sent',
        createdAt: new Date(T0.getTime() + 2),
      }),
    );
    await tx.requests.insert(
      aRequestOf(ORG_B, {
        id: asId('req_b1'),
        text: { status: 'waiting', notBefore: T0, sentAt: null, messageId: null, error: null },
      }),
    );
    await tx.audit.append(
      anAuditEntry({ id: asId('aud_b1'), organizationId: ORG_B, requestId: asId('req_b1') }),
    );
    return ok(undefined);
  });
  seeded._unsafeUnwrap();
}
