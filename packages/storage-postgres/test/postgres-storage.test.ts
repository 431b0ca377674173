import {
  type Actor,
  type AuditEntry,
  asId,
  asLocalDate,
  CURRENCIES,
  type Currency,
  type DomainError,
  money,
  PAYMENT_REQUEST_STATUSES,
  type PaymentRequest,
  StorageError,
  type UnitOfWork,
} from '@memberpay/core';
import {
  aClaim,
  aMember,
  anAuditEntry,
  anOrganization,
  aPaymentRequest,
  T0,
} from '@memberpay/core/testing';
import { ok } from 'neverthrow';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { PostgresStorage } from '../src/index';
import {
  AUDIT_ACTIONS,
  HOLD_CODES,
  REFUND_PURPOSES,
  REFUND_STATUSES,
  TEXT_STATUSES,
} from '../src/repositories/known-values';
import {
  chooseBackend,
  openTestDatabase,
  present,
  type TestDatabase,
} from './support/test-database';

const ORG = asId<'Organization'>('org_a');
const OTHER_ORG = asId<'Organization'>('org_b');
const LATER = new Date(T0.getTime() + 60_000);

const backend = await chooseBackend();

let database: TestDatabase;
let storage: PostgresStorage;

beforeAll(async () => {
  database = await openTestDatabase(backend);
  storage = new PostgresStorage({ ...database.connection(), schema: database.schema });
});

afterAll(async () => {
  await storage.close();
  await database.close();
});

beforeEach(async () => {
  await database.truncate();
  await value(async (tx) => {
    await tx.organizations.insert(anOrganization({ id: ORG }));
    await tx.organizations.insert(anOrganization({ id: OTHER_ORG }));
    await tx.members.insert(aMember({ id: asId('mem_a'), organizationId: ORG }));
    await tx.claims.insert(
      aClaim({ id: asId('clm_a'), organizationId: ORG, memberId: asId('mem_a') }),
    );
    await tx.members.insert(aMember({ id: asId('mem_other'), organizationId: OTHER_ORG }));
    await tx.claims.insert(
      aClaim({
        id: asId('clm_other'),
        organizationId: OTHER_ORG,
        memberId: asId('mem_other'),
        patientControlNumber: 'PCN-OTHER',
      }),
    );
  });
});

const run = <T>(work: (tx: UnitOfWork) => Promise<T>) =>
  storage.transaction(async (tx) => ok(await work(tx)));

const value = async <T>(work: (tx: UnitOfWork) => Promise<T>): Promise<T> =>
  (await run(work))._unsafeUnwrap();

const failure = async <T>(work: (tx: UnitOfWork) => Promise<T>): Promise<DomainError> =>
  (await run(work))._unsafeUnwrapErr();

const aRequest = (overrides: Partial<PaymentRequest>) =>
  aPaymentRequest({
    organizationId: ORG,
    memberId: asId('mem_a'),
    claimId: asId('clm_a'),
    ...overrides,
  });

async function roundTrip(request: PaymentRequest): Promise<PaymentRequest | null> {
  await value((tx) => tx.requests.insert(request));
  return value((tx) => tx.requests.get(ORG, request.id));
}

describe('every domain value fits the schema and comes back the same', () => {
  test.each(PAYMENT_REQUEST_STATUSES)('status %s', async (status) => {
    const request = aRequest({ id: asId(`req_${status}`), status });

    expect(await roundTrip(request)).toEqual(request);
  });

  test.each(HOLD_CODES)('hold %s', async (code) => {
    const request = aRequest({ id: asId(`req_${code}`), hold: { code, message: code, since: T0 } });

    expect(await roundTrip(request)).toEqual(request);
  });

  test.each(TEXT_STATUSES)('text delivery %s', async (status) => {
    const text = { status, notBefore: T0, sentAt: null, messageId: null, error: 'none' };
    const request = aRequest({ id: asId(`req_text_${status}`), text });

    expect(await roundTrip(request)).toEqual(request);
  });

  test.each(
    REFUND_PURPOSES.flatMap((purpose) => REFUND_STATUSES.map((status) => [purpose, status])),
  )('refund for %s, %s', async (purpose, status) => {
    const refund = {
      key: `refund:${purpose}:${status}`,
      gatewayRefundId: null,
      amount: status === 'requested' ? null : money(1250),
      purpose: purpose as PaymentRequest['refunds'][number]['purpose'],
      status: status as PaymentRequest['refunds'][number]['status'],
      failureReason: status === 'failed' ? 'expired card' : null,
      requestedAt: LATER,
    };
    const request = aRequest({ id: asId(`req_${purpose}_${status}`), refunds: [refund] });

    expect(await roundTrip(request)).toEqual(request);
  });

  test.each(Object.keys(CURRENCIES) as Currency[])('amounts in %s', async (currency) => {
    const request = aRequest({
      id: asId(`req_${currency}`),
      amount: money(99_999_999, currency),
      amountPaid: money(0, currency),
      amountRefunded: money(0, currency),
    });

    expect(await roundTrip(request)).toEqual(request);
  });

  test.each(['2024-02-29', '1999-12-31', '2038-01-19', '0999-01-01'])(
    'the local date %s',
    async (date) => {
      const request = aRequest({ id: asId(`req_due_${date}`), dueDate: asLocalDate(date) });

      const stored = await roundTrip(request);

      expect(stored?.dueDate).toBe(date);
    },
  );

  test('the largest safe integer of minor units', async () => {
    const request = aRequest({ id: asId('req_huge'), amount: money(Number.MAX_SAFE_INTEGER) });

    expect((await roundTrip(request))?.amount.minor).toBe(Number.MAX_SAFE_INTEGER);
  });

  const actors: Actor[] = [
    { kind: 'staff', userId: 'staff_9' },
    { kind: 'batch', runId: null },
    { kind: 'batch', runId: asId('run_7') },
    { kind: 'gateway_event', eventId: 'evt_9', eventType: 'invoice.paid' },
    { kind: 'remittance', remittanceId: asId('rem_9'), claimPaymentKey: 'P|T|C|7|1' },
    { kind: 'system', process: 'scheduler' },
  ];

  test('every audit action and actor, with its details', async () => {
    const entries = AUDIT_ACTIONS.map((action, index) =>
      anAuditEntry({
        id: asId(`aud_${action}`),
        organizationId: ORG,
        action,
        actor: present(actors[index % actors.length]),
        from: 'draft',
        to: null,
        details: { invoiceId: 'in_1', attempt: index, final: index % 2 === 0, note: null },
      }),
    );

    const appended = await value(async (tx) => {
      const stored: AuditEntry[] = [];
      for (const entry of entries) {
        stored.push(await tx.audit.append(entry));
      }
      return stored;
    });
    const listed = await value((tx) => tx.audit.listForRequest(ORG, asId('req_test_1')));

    expect(listed).toEqual(appended);
    expect(listed.map(({ sequence, ...entry }) => entry)).toEqual(entries);
    expect(listed.map((entry) => entry.sequence)).toEqual(entries.map((_, index) => index + 1));
  });
});

describe('what the schema refuses', () => {
  test('a request for nothing (amount 0) is refused; the check (23514) is the cause', async () => {
    const error = await failure((tx) =>
      tx.requests.insert(aRequest({ id: asId('req_zero'), amount: money(0) })),
    );

    expect(error.code).toBe('STORAGE.FAILED');
    expect(error.details).toEqual({ entity: 'payment_request' });
    expect((error.cause as StorageError).cause).toMatchObject({ code: '23514' });
  });

  test('a version below 1 is refused', async () => {
    const error = await failure((tx) =>
      tx.requests.insert(aRequest({ id: asId('req_v0'), version: 0 })),
    );

    expect(error.code).toBe('STORAGE.FAILED');
  });

  test('a claim whose member belongs to another organization is refused', async () => {
    const error = await failure((tx) =>
      tx.claims.insert(
        aClaim({ id: asId('clm_b'), organizationId: OTHER_ORG, memberId: asId('mem_a') }),
      ),
    );

    expect(error.code).toBe('STORAGE.FAILED');
    expect((error.cause as StorageError).cause).toMatchObject({ code: '23503' });
  });

  test.each([
    ['a member of another organization', { memberId: asId<'Member'>('mem_other') }, 'member'],
    ['a claim of another organization', { claimId: asId<'Claim'>('clm_other') }, 'claim'],
    ['a member that is not there', { memberId: asId<'Member'>('mem_gone') }, 'member'],
    ['a claim that is not there', { claimId: asId<'Claim'>('clm_gone') }, 'claim'],
  ] as const)('a request naming %s is refused (23503)', async (_, names, key) => {
    const error = await failure((tx) =>
      tx.requests.insert(aRequest({ id: asId('req_stray'), ...names })),
    );

    expect(error.code).toBe('STORAGE.FAILED');
    expect((error.cause as StorageError).cause).toMatchObject({
      code: '23503',
      constraint: `payment_request_${key}_fkey`,
    });
  });

  test('amounts of one request in two currencies cannot be kept in one row', async () => {
    const error = await failure((tx) =>
      tx.requests.insert(aRequest({ id: asId('req_mixed'), amountPaid: money(0, 'eur') })),
    );

    expect(error.code).toBe('STORAGE.FAILED');
    expect(error.message).toBe(
      'payment_request req_mixed holds amounts in usd and eur; a row keeps one currency',
    );
  });

  test('an amount stored beyond a safe integer is not read back as a wrong number', async () => {
    await value((tx) => tx.requests.insert(aRequest({ id: asId('req_big') })));
    await database.sql(
      `UPDATE "${database.schema}".payment_request SET amount_minor = 9007199254740993`,
    );

    const error = await failure((tx) => tx.requests.get(ORG, asId('req_big')));

    expect(error.code).toBe('STORAGE.FAILED');
    expect(error.message).toBe(
      'payment_request.amount_minor does not hold an integer no larger than 2^53 - 1',
    );
  });
});

describe('units of work', () => {
  test('a refused insert leaves the unit usable: later writes are committed', async () => {
    const outcome = await run(async (tx) => {
      await tx.requests.insert(aRequest({ id: asId('req_1') }));
      const repeat = await tx.requests.insert(aRequest({ id: asId('req_1') })).catch((e) => e);
      await tx.requests.insert(aRequest({ id: asId('req_2') }));
      return repeat;
    });

    expect(outcome._unsafeUnwrap()).toMatchObject({ kind: 'duplicate', entity: 'payment_request' });
    expect(
      (await value((tx) => tx.requests.list(ORG, {}, { limit: 10 }))).map((r) => r.id),
    ).toEqual(['req_1', 'req_2']);
  });

  test('a failed statement ends the unit, even if the work carries on and returns ok', async () => {
    await value(async (tx) => {
      await tx.requests.insert(
        aRequest({ id: asId('req_1'), gateway: { ...aRequest({}).gateway, invoiceId: 'in_1' } }),
      );
      await tx.requests.insert(aRequest({ id: asId('req_2') }));
    });
    const second = present(await value((tx) => tx.requests.get(ORG, asId('req_2'))));

    const attempts: unknown[] = [];
    const outcome = await run(async (tx) => {
      const member = present(await tx.members.get(ORG, asId('mem_a')));
      await tx.members.update({ ...member, name: 'Lost' });
      const taken = { ...second, gateway: { ...second.gateway, invoiceId: 'in_1' } };
      attempts.push(await tx.requests.update(taken).catch((e) => e));
      attempts.push(await tx.requests.get(ORG, asId('req_1')).catch((e) => e));
      return 'carried on';
    });

    expect(outcome._unsafeUnwrapErr().code).toBe('STORAGE.DUPLICATE');
    expect(attempts[0]).toBeInstanceOf(StorageError);
    expect(attempts[1]).toBe(attempts[0]);
    expect((await value((tx) => tx.members.get(ORG, asId('mem_a'))))?.name).toBe('Jane Doe');
  });

  test('removing a draft keeps its audit trail; removing a stale copy is a conflict', async () => {
    const draft = await value(async (tx) => {
      const inserted = await tx.requests.insert(aRequest({ id: asId('req_1') }));
      await tx.audit.append(
        anAuditEntry({ id: asId('aud_1'), organizationId: ORG, requestId: inserted.id }),
      );
      return tx.requests.update({ ...inserted, internalId: 'edited' });
    });

    const stale = await failure((tx) => tx.requests.remove({ ...draft, version: 1 }));
    await value((tx) => tx.requests.remove(draft));

    expect(stale.code).toBe('STORAGE.CONFLICT');
    expect(await value((tx) => tx.requests.get(ORG, asId('req_1')))).toBeNull();
    expect(
      (await value((tx) => tx.audit.listForRequest(ORG, asId('req_1')))).map((entry) => entry.id),
    ).toEqual(['aud_1']);
  });

  test('a page after an id that is not there starts at the beginning, as in memory', async () => {
    await value(async (tx) => {
      await tx.requests.insert(aRequest({ id: asId('req_1') }));
      await tx.requests.insert(aRequest({ id: asId('req_2'), createdAt: LATER }));
    });

    const page = await value((tx) => tx.requests.list(ORG, {}, { limit: 10, after: 'req_gone' }));

    expect(page.map((request) => request.id)).toEqual(['req_1', 'req_2']);
  });
});

describe.runIf(backend === 'server')('FOR UPDATE SKIP LOCKED (needs the PostgreSQL server)', () => {
  test('a worker passes over drafts another holds, and takes them once released', async () => {
    await value(async (tx) => {
      for (const index of [1, 2, 3, 4]) {
        await tx.requests.insert(
          aRequest({ id: asId(`req_${index}`), createdAt: new Date(T0.getTime() + index) }),
        );
      }
    });
    const query = { now: LATER, cutoff: LATER, notAttemptedSince: LATER, limit: 2 };
    const other = new PostgresStorage({ ...database.connection(), schema: database.schema });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });

    const first = storage.transaction(async (tx) => {
      const rows = await tx.requests.findClaimable(ORG, query);
      holding();
      await released;
      return ok(rows.map((row) => row.id));
    });
    await held;
    const whileHeld = await other.transaction(async (tx) =>
      ok((await tx.requests.findClaimable(ORG, { ...query, limit: 10 })).map((row) => row.id)),
    );
    release();
    const taken = await first;
    const afterwards = await other.transaction(async (tx) =>
      ok((await tx.requests.findClaimable(ORG, { ...query, limit: 10 })).map((row) => row.id)),
    );
    await other.close();

    expect(taken._unsafeUnwrap()).toEqual(['req_1', 'req_2']);
    expect(whileHeld._unsafeUnwrap()).toEqual(['req_3', 'req_4']);
    expect(afterwards._unsafeUnwrap()).toEqual(['req_1', 'req_2', 'req_3', 'req_4']);
  });
});
