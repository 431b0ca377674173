import {
  asId,
  asLocalDate,
  type ClaimId,
  type OrganizationId,
  type UnitOfWork,
} from '@memberpay/core';
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
} from '@memberpay/core/testing';
import { ok } from 'neverthrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PostgresStorage } from '../src/index';
import {
  chooseBackend,
  type IssuedStatement,
  openTestDatabase,
  present,
  type TestDatabase,
} from './support/test-database';

const ORG_A = asId<'Organization'>('org_a');
const ORG_B = asId<'Organization'>('org_b');
const LATER = new Date(T0.getTime() + 60_000);

const backend = await chooseBackend();

describe('tenancy: every statement of a unit of work for one organization', () => {
  let database: TestDatabase;
  let storage: PostgresStorage;
  let recording = false;
  const issued: IssuedStatement[] = [];

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    storage = await database.recordingStorage((statement) => {
      if (recording) {
        issued.push(statement);
      }
    });
    await seed(storage);
  });

  afterAll(async () => {
    await storage.close();
    await database.close();
  });

  test('filters by that organization, and nothing of another organization comes back', async () => {
    const called = new Set<string>();
    let every: string[] = [];
    recording = true;

    const seen = await storage.transaction(async (tx) => {
      every = methodsOf(tx);
      return ok(await useEveryMethod(tracking(tx, called), ORG_A));
    });
    recording = false;

    expect([...called].sort()).toEqual(every.sort());
    const foreign = seen
      ._unsafeUnwrap()
      .filter((row) => row !== null && typeof row === 'object' && 'organizationId' in row)
      .filter((row) => (row as { organizationId: OrganizationId }).organizationId !== ORG_A);
    expect(foreign).toEqual([]);

    const unscoped = issued
      .filter((statement) => !isTransactionControl(statement.text))
      .filter((statement) => !isGlobalByDesign(statement))
      .filter((statement) => !filtersBy(statement, ORG_A));
    expect(unscoped).toEqual([]);
    expect(issued.length).toBeGreaterThan(every.length);
  });
});

/** Calls every repository method once, for `organizationId`; returns everything read. */
async function useEveryMethod(tx: UnitOfWork, organizationId: OrganizationId) {
  const seen: unknown[] = [];
  const organization = await tx.organizations.get(organizationId);
  seen.push(organization);
  seen.push(await tx.organizations.update({ ...present(organization), name: 'Clinic A, renamed' }));
  seen.push(await tx.organizations.insert(anOrganization({ id: asId('org_a_sibling') })));
  seen.push(await tx.organizations.findByPayoutAccount('acct_test_active'));
  seen.push(...(await tx.organizations.list({ limit: 10 })));

  const member = await tx.members.get(organizationId, asId('mem_a'));
  seen.push(member, await tx.members.get(organizationId, asId('mem_b')));
  seen.push(await tx.members.update({ ...present(member), name: 'Jane Q. Doe' }));
  seen.push(
    await tx.members.insert(aMember({ id: asId('mem_a2'), organizationId, externalId: 'A2' })),
  );
  seen.push(await tx.members.findByExternalId(organizationId, 'MEM0001'));
  seen.push(...(await tx.members.list(organizationId, { limit: 10, after: 'mem_a' })));

  const claim = await tx.claims.get(organizationId, asId('clm_a'));
  seen.push(claim, await tx.claims.get(organizationId, asId('clm_b')));
  seen.push(await tx.claims.update({ ...present(claim), payerClaimControlNumber: 'CLM-A' }));
  seen.push(
    await tx.claims.insert(
      aClaim({
        id: asId('clm_a2'),
        organizationId,
        memberId: asId('mem_a'),
        patientControlNumber: 'PCN-A2',
      }),
    ),
  );
  seen.push(await tx.claims.findByPatientControlNumber(organizationId, 'PCN-1001'));
  seen.push(...(await tx.claims.listByMember(organizationId, asId('mem_a'))));

  const request = await tx.requests.get(organizationId, asId('req_a1'));
  seen.push(request, await tx.requests.get(organizationId, asId('req_b1')));
  seen.push(await tx.requests.update({ ...present(request), internalId: 'INV-A1' }));
  const draft = await tx.requests.insert(
    aPaymentRequest({
      id: asId('req_a_draft'),
      organizationId,
      memberId: asId('mem_a'),
      claimId: asId('clm_a'),
    }),
  );
  await tx.requests.remove(draft);
  seen.push(
    ...(await tx.requests.list(
      organizationId,
      { memberId: asId('mem_a'), claimId: asId('clm_a'), statuses: ['draft', 'sent'] },
      { limit: 10, after: 'req_a1' },
    )),
  );
  seen.push(await tx.requests.findByInvoiceId(organizationId, 'in_b'));
  seen.push(...(await tx.requests.findOpenForClaim(organizationId, asId('clm_a'))));
  seen.push(
    ...(await tx.requests.findClaimable(organizationId, {
      now: LATER,
      cutoff: LATER,
      notAttemptedSince: LATER,
      limit: 10,
    })),
  );
  seen.push(...(await tx.requests.findFollowUps(organizationId, LATER, { limit: 10 })));
  seen.push(...(await tx.requests.findTextsDue(organizationId, LATER, 10)));

  seen.push(
    await tx.audit.append(
      anAuditEntry({ id: asId('aud_a2'), organizationId, requestId: asId('req_a1') }),
    ),
  );
  seen.push(...(await tx.audit.listForRequest(organizationId, asId('req_b1'))));

  seen.push(
    await tx.remittances.insert(
      aRemittance({ id: asId('rem_a2'), organizationId, traceNumber: 'TRACE-A2' }),
    ),
  );
  seen.push(
    await tx.remittances.findByTrace(organizationId, 'electronic', '1512345678', 'TRACE0001'),
  );
  seen.push(
    await tx.remittances.insertClaimPayment(
      aClaimPayment({
        id: asId('cpay_a2'),
        organizationId,
        remittanceId: asId('rem_a2'),
        key: 'A2',
      }),
    ),
  );
  seen.push(await tx.remittances.findClaimPayment(organizationId, aClaimPayment().key));
  seen.push(...(await tx.remittances.listClaimPayments(organizationId, asId('rem_b'))));
  seen.push(
    ...(await tx.remittances.listClaimPaymentsForClaim(
      organizationId,
      aClaimPayment().claimId as ClaimId,
    )),
  );

  await tx.gatewayEvents.record({
    eventId: 'evt_a',
    organizationId,
    type: 'invoice.paid',
    appliedAt: LATER,
  });
  seen.push(await tx.gatewayEvents.has('evt_b'));

  const run = {
    id: asId<'BatchRun'>('run_a2'),
    organizationId,
    localDate: asLocalDate('2024-01-11'),
    kind: 'scheduled' as const,
    cutoff: T0,
    startedAt: T0,
    finishedAt: null,
    version: 1,
  };
  seen.push(await tx.batchRuns.insert(run));
  seen.push(await tx.batchRuns.update({ ...run, finishedAt: LATER }));
  seen.push(await tx.batchRuns.findScheduled(organizationId, asLocalDate('2024-01-10')));
  seen.push(await tx.batchRuns.latestScheduled(organizationId));
  return seen;
}

/** Each organization gets the same kinds of rows, with the same natural keys where allowed. */
async function seed(storage: PostgresStorage): Promise<void> {
  const seeded = await storage.transaction(async (tx) => {
    await tx.organizations.insert(
      anOrganization({ id: ORG_A, name: 'Clinic A', payoutAccount: ACTIVE_PAYOUT_ACCOUNT }),
    );
    await tx.organizations.insert(anOrganization({ id: ORG_B, name: 'Clinic B' }));
    for (const [organizationId, suffix] of [
      [ORG_A, 'a'],
      [ORG_B, 'b'],
    ] as const) {
      const memberId = asId<'Member'>(`mem_${suffix}`);
      const claimId = asId<'Claim'>(`clm_${suffix}`);
      await tx.members.insert(aMember({ id: memberId, organizationId }));
      await tx.claims.insert(aClaim({ id: claimId, organizationId, memberId }));
      await tx.requests.insert(
        aPaymentRequest({
          id: asId(`req_${suffix}1`),
          organizationId,
          memberId,
          claimId,
          gateway: { ...aPaymentRequest().gateway, invoiceId: `in_${suffix}` },
          text: { status: 'waiting', notBefore: T0, sentAt: null, messageId: null, error: null },
        }),
      );
      await tx.audit.append(
        anAuditEntry({
          id: asId(`aud_${suffix}1`),
          organizationId,
          requestId: asId(`req_${suffix}1`),
        }),
      );
      await tx.remittances.insert(aRemittance({ id: asId(`rem_${suffix}`), organizationId }));
      await tx.remittances.insertClaimPayment(
        aClaimPayment({
          id: asId(`cpay_${suffix}`),
          organizationId,
          remittanceId: asId(`rem_${suffix}`),
        }),
      );
      await tx.batchRuns.insert({
        id: asId(`run_${suffix}`),
        organizationId,
        localDate: asLocalDate('2024-01-10'),
        kind: 'scheduled',
        cutoff: T0,
        startedAt: T0,
        finishedAt: null,
        version: 1,
      });
    }
    await tx.gatewayEvents.record({
      eventId: 'evt_b',
      organizationId: ORG_B,
      type: 'invoice.paid',
      appliedAt: T0,
    });
    return ok(undefined);
  });
  seeded._unsafeUnwrap();
}

function methodsOf(tx: UnitOfWork): string[] {
  return Object.entries(tx).flatMap(([repository, methods]) =>
    Object.keys(methods).map((method) => `${repository}.${method}`),
  );
}

/** The same unit of work, noting in `called` each repository method used. */
function tracking(tx: UnitOfWork, called: Set<string>): UnitOfWork {
  return Object.fromEntries(
    Object.entries(tx).map(([repository, methods]) => [
      repository,
      Object.fromEntries(
        Object.entries(methods as Record<string, (...args: unknown[]) => unknown>).map(
          ([method, call]) => [
            method,
            (...args: unknown[]) => {
              called.add(`${repository}.${method}`);
              return call(...args);
            },
          ],
        ),
      ),
    ]),
  ) as unknown as UnitOfWork;
}

function isTransactionControl(text: string): boolean {
  return /^(BEGIN|COMMIT|ROLLBACK)\b/.test(text);
}

function tableOf(text: string): string | undefined {
  return /"[^"]+"\.(\w+)/.exec(text)?.[1];
}

/**
 * Global by design: reading organizations (by id, by payout account, or listed for the
 * scheduler), creating one (a new tenant), and asking whether a gateway event was applied
 * (event ids are global). Updating an organization still names it by its id.
 */
function isGlobalByDesign(statement: IssuedStatement): boolean {
  const table = tableOf(statement.text);
  if (table === 'gateway_event') {
    return /^SELECT EXISTS/.test(statement.text);
  }

  return table === 'organization' && /^(SELECT|INSERT)/.test(statement.text);
}

/** True when every organization the statement names, by filter or by inserted row, is `id`. */
function filtersBy(statement: IssuedStatement, id: OrganizationId): boolean {
  const { text, values } = statement;
  const table = tableOf(text);
  const column = table === 'organization' ? 'id' : 'organization_id';

  const insert = /^INSERT INTO \S+ \(([^)]*)\)/.exec(text);
  if (insert) {
    const position = present(insert[1]).split(', ').indexOf(column);
    return position >= 0 && values[position] === id;
  }

  const filters = [...text.matchAll(new RegExp(`\\b${column} = \\$(\\d+)`, 'g'))];
  return filters.length > 0 && filters.every((match) => values[Number(match[1]) - 1] === id);
}
