import { asId, type MoneyInput } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { aWorld } from '../support/world';
import { claimPayment, ORG, remittance, requestsOf } from './support';

/** Values a host written in plain JavaScript can hand in where an amount belongs. */
const notAmounts: [string, unknown][] = [
  ['1.5', 1.5],
  ['20', 20],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['null', null],
  ['undefined', undefined],
  ['{}', {}],
  ['{minor:1.5}', { minor: 1.5 }],
  ['{minor:5000.5}', { minor: 5000.5 }],
  ['{minor:"500"}', { minor: '500' }],
  ['{minor:NaN}', { minor: Number.NaN }],
  ['{minor:2**53}', { minor: 2 ** 53 }],
];

const SHAPE = 'must be a decimal string such as "20.10" or { minor: integer, currency }';

async function clinicWithClaim(chargeAmount = '200.00') {
  const world = aWorld();
  await world.organization('org_1', { generateFromRemittance: true });
  const someone = await world.member('org_1');
  const claim = (
    await world.sdk.claims.create(ORG, {
      memberId: someone.id,
      patientControlNumber: 'PCN-1',
      dateOfService: '2024-01-02',
      chargeAmount,
    })
  )._unsafeUnwrap();
  return { world, someone, claim };
}

describe('a visit payment is checked before it is stored', () => {
  // A host that passes a number or a half-built object got a rejected promise (a RangeError from
  // `money()`, a TypeError from reading `currency`) instead of a Result.
  test.each(notAmounts)('%s is refused with INPUT.INVALID naming amount', async (_, amount) => {
    const { world, claim } = await clinicWithClaim();

    const recorded = await world.sdk.claims.recordVisitPayment(ORG, claim.id, amount as MoneyInput);

    expect(recorded.isErr() && recorded.error.code).toBe('INPUT.INVALID');
    expect(recorded.isErr() && recorded.error.message).toContain('amount: ');
    const stored = (await world.sdk.claims.get(ORG, claim.id))._unsafeUnwrap();
    expect(stored.collectedAtVisit.minor).toBe(0);
    expect(stored.version).toBe(claim.version);
  });

  // Nothing bounded a visit payment: a slip of the keyboard stored 999,999,999,999,900 cents
  // paid at the front desk of a 200.00 visit.
  test('a visit payment above the claim’s charge is refused', async () => {
    const { world, claim } = await clinicWithClaim();

    const recorded = await world.sdk.claims.recordVisitPayment(ORG, claim.id, '9999999999999');

    expect(recorded.isErr() && recorded.error.code).toBe('INPUT.INVALID');
    expect(recorded.isErr() && recorded.error.details).toMatchObject({ field: 'amount' });
    expect(recorded.isErr() && recorded.error.message).toContain("claim's charge of $200.00");
    const stored = (await world.sdk.claims.get(ORG, claim.id))._unsafeUnwrap();
    expect(stored.collectedAtVisit.minor).toBe(0);
  });

  test('a visit payment of the whole charge is accepted', async () => {
    const { world, claim } = await clinicWithClaim();

    const recorded = await world.sdk.claims.recordVisitPayment(ORG, claim.id, '200.00');

    expect(recorded._unsafeUnwrap().collectedAtVisit.minor).toBe(20000);
  });

  test('a claim whose visit payment is above its charge is not created', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const someone = await world.member('org_1');

    const created = await world.sdk.claims.create(ORG, {
      memberId: someone.id,
      patientControlNumber: 'PCN-1',
      dateOfService: '2024-01-02',
      chargeAmount: '10.00',
      collectedAtVisit: '500.00',
    });

    expect(created.isErr() && created.error.code).toBe('INPUT.INVALID');
    expect(created.isErr() && created.error.details).toMatchObject({ field: 'collectedAtVisit' });
    const found = await world.sdk.claims.findByPatientControlNumber(ORG, 'PCN-1');
    expect(found.isErr() && found.error.code).toBe('CLAIM.NOT_FOUND');
  });
});

describe('an amount of the wrong type is refused in one message that says what is accepted', () => {
  // zod's union answered "amount: Invalid input", which tells staff nothing, and 2**53 gave two
  // messages for one mistake.
  test.each(notAmounts)('requests.create with amount %s', async (_, amount) => {
    const { world, claim } = await clinicWithClaim();

    const created = await world.sdk.requests.create(ORG, {
      claimId: claim.id,
      internalId: 'INV-1',
      createdBy: 'staff_1',
      ...(amount === undefined ? {} : { amount }),
    } as never);

    const message = created.isErr() ? created.error.message : 'created';
    expect(message).toContain(SHAPE);
    expect(message.match(/amount: /g)).toHaveLength(1);
    expect(await requestsOf(world)).toEqual([]);
  });

  test('a number is refused with a word on why', async () => {
    const { world, claim } = await clinicWithClaim();

    const created = await world.sdk.requests.create(ORG, {
      claimId: claim.id,
      internalId: 'INV-1',
      amount: 20 as unknown as string,
      createdBy: 'staff_1',
    });

    expect(created.isErr() && created.error.message).toContain('numbers are refused');
  });

  test('requests.edit says the same', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');

    const edited = await world.sdk.requests.edit(ORG, draft.id, {
      amount: { minor: 5000.5 },
      editedBy: 'staff_1',
    });

    expect(edited.isErr() && edited.error.code).toBe('INPUT.INVALID');
    expect(edited.isErr() && edited.error.message).toContain(`amount: ${SHAPE}`);
    expect((await world.request('org_1', draft.id)).amount.minor).toBe(5000);
  });

  test.each([
    ['chargeAmount', { chargeAmount: 1.5 }],
    ['collectedAtVisit', { chargeAmount: '200.00', collectedAtVisit: { minor: '500' } }],
  ])('claims.create names %s', async (field, amounts) => {
    const world = aWorld();
    await world.organization('org_1');
    const someone = await world.member('org_1');

    const created = await world.sdk.claims.create(ORG, {
      memberId: someone.id,
      patientControlNumber: 'PCN-1',
      dateOfService: '2024-01-02',
      ...amounts,
    } as never);

    expect(created.isErr() && created.error.code).toBe('INPUT.INVALID');
    expect(created.isErr() && created.error.message).toContain(`${field}: ${SHAPE}`);
  });
});

describe('an unknown or empty currency says which field, and what would do', () => {
  // `{ minor: 500, currency: '' }` read "the amount is in  but the organization bills in USD".
  test.each(['', 'xyz', 1])('requests.create with currency %o is INPUT.INVALID', async (code) => {
    const { world, claim } = await clinicWithClaim();

    const created = await world.sdk.requests.create(ORG, {
      claimId: claim.id,
      internalId: 'INV-1',
      amount: { minor: 500, currency: code as string },
      createdBy: 'staff_1',
    });

    expect(created.isErr() && created.error.code).toBe('INPUT.INVALID');
    expect(created.isErr() && created.error.message).toContain(
      'amount.currency: must be one of USD, CAD',
    );
    expect(await requestsOf(world)).toEqual([]);
  });

  test('a claim charge with an empty currency is INPUT.INVALID, not a REQUEST.* code', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const someone = await world.member('org_1');

    const created = await world.sdk.claims.create(ORG, {
      memberId: someone.id,
      patientControlNumber: 'PCN-1',
      dateOfService: '2024-01-02',
      chargeAmount: { minor: 500, currency: '' },
    });

    expect(created.isErr() && created.error.code).toBe('INPUT.INVALID');
    expect(created.isErr() && created.error.message).toContain('chargeAmount.currency: ');
  });

  test('a currency the organization does not bill in names the field and both', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const someone = await world.member('org_1');

    const created = await world.sdk.claims.create(ORG, {
      memberId: someone.id,
      patientControlNumber: 'PCN-1',
      dateOfService: '2024-01-02',
      chargeAmount: { minor: 500, currency: 'eur' },
    });

    expect(created.isErr() && created.error.code).toBe('REQUEST.CURRENCY_MISMATCH');
    expect(created.isErr() && created.error.message).toBe(
      'chargeAmount: the amount is in EUR, but it must be in USD, the currency the organization ' +
        'bills in',
    );
  });
});

describe('every staff action says who acted', () => {
  // create and edit refused an empty staff id, but cancel, delete, approve and retry took one
  // and wrote an audit entry by userId "".
  async function heldForReview() {
    const { world } = await clinicWithClaim();
    const owed = claimPayment('PCN-1', 4000);
    await world.sdk.remittances.ingest(
      ORG,
      remittance('T1', [
        {
          ...owed,
          patientResponsibility: { ...owed.patientResponsibility, adjustmentCents: 2500 },
        },
      ]),
    );
    const [held] = await requestsOf(world);
    expect(held?.hold?.code).toBe('needs_review');
    return { world, request: held as NonNullable<typeof held> };
  }

  async function failed() {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    world.gateway.failNext('sendInvoice', 'invalid_request');
    await world.sdk.batch.runNow(ORG);
    const request = await world.request('org_1', draft.id);
    expect(request.status).toBe('failed');
    return { world, request };
  }

  async function drafted() {
    const world = aWorld();
    await world.organization('org_1');
    return { world, request: await world.draft('org_1', '50.00') };
  }

  const actions = [
    ['approve', heldForReview, 'approvedBy'],
    ['retry', failed, 'retriedBy'],
    ['cancel', drafted, 'canceledBy'],
    ['delete', drafted, 'deletedBy'],
  ] as const;

  describe.each(actions)('requests.%s', (action, setUp, field) => {
    test.each(['', '   '])('by %o is refused and changes nothing', async (by) => {
      const { world, request } = await setUp();
      const trail = (await world.sdk.requests.auditTrail(ORG, request.id))._unsafeUnwrap();

      const outcome = await world.sdk.requests[action](ORG, request.id, by);

      expect(outcome.isErr() && outcome.error.code).toBe('INPUT.INVALID');
      expect(outcome.isErr() && outcome.error.message).toContain(`${field}: must not be empty`);
      expect(await world.request('org_1', request.id)).toEqual(request);
      const after = (await world.sdk.requests.auditTrail(ORG, request.id))._unsafeUnwrap();
      expect(after).toHaveLength(trail.length);
    });

    test('by " staff_9 " goes through, audited as staff_9 as create audits it', async () => {
      const { world, request } = await setUp();

      const outcome = await world.sdk.requests[action](ORG, request.id, ' staff_9 ');

      expect(outcome.isOk()).toBe(true);
      const trail = (await world.sdk.requests.auditTrail(ORG, request.id))._unsafeUnwrap();
      expect(trail.at(-1)?.actor).toEqual({ kind: 'staff', userId: 'staff_9' });
    });
  });
});

describe('requests.list checks its query and page', () => {
  // `{ statuses: 'draft' }` threw a TypeError, a bad status or limit quietly listed nothing, and
  // an organization that does not exist looked like one with no requests.
  test.each([
    ['statuses "draft"', { statuses: 'draft' }, 'statuses: '],
    ['a null query', null, '(input): must be an object of filters'],
    ['an unknown status', { statuses: ['bogus'] }, 'statuses.0: '],
    ['a misspelt filter', { status: ['draft'] }, '"status"'],
  ])('%s is refused', async (_, query, problem) => {
    const world = aWorld();
    await world.organization('org_1');
    await world.draft('org_1');

    const listed = await world.sdk.requests.list(ORG, query as never);

    expect(listed.isErr() && listed.error.code).toBe('INPUT.INVALID');
    expect(listed.isErr() && listed.error.message).toContain(problem);
  });

  test.each([-1, 0, Number.NaN, 1.5, '10', 1e9, 501])('limit %o is refused', async (limit) => {
    const world = aWorld();
    await world.organization('org_1');
    await world.draft('org_1');

    const listed = await world.sdk.requests.list(ORG, {}, { limit: limit as number });

    expect(listed.isErr() && listed.error.code).toBe('INPUT.INVALID');
    expect(listed.isErr() && listed.error.message).toContain(
      'limit: must be a whole number from 1 to 500',
    );
  });

  test('limits 1 and 500 and a null cursor are accepted', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const first = await world.draft('org_1');
    const second = await world.draft('org_1');

    const one = await world.sdk.requests.list(ORG, {}, { limit: 1, after: null });
    const rest = await world.sdk.requests.list(ORG, {}, { limit: 500, after: first.id });

    expect(one._unsafeUnwrap().map((request) => request.id)).toEqual([first.id]);
    expect(rest._unsafeUnwrap().map((request) => request.id)).toEqual([second.id]);
  });

  test('an organization that does not exist is not found', async () => {
    const world = aWorld();
    await world.organization('org_1');

    const listed = await world.sdk.requests.list(asId('org_nope'));

    expect(listed.isErr() && listed.error.code).toBe('ORGANIZATION.NOT_FOUND');
  });
});

describe('a blank description is no description', () => {
  // Three spaces were stored as '' and the invoice then carried an empty line instead of its
  // default one ("Amount you owe to ...").
  test('created with a whitespace-only description, the request has none', async () => {
    const { world, claim } = await clinicWithClaim();

    const created = await world.sdk.requests.create(ORG, {
      claimId: claim.id,
      internalId: 'INV-1',
      amount: '20.00',
      description: '   ',
      createdBy: 'staff_1',
    });

    expect(created._unsafeUnwrap().description).toBeNull();
  });

  test('edited to a whitespace-only description, the request has none', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');

    const edited = await world.sdk.requests.edit(ORG, draft.id, {
      description: ' \t ',
      editedBy: 'staff_1',
    });

    expect(edited._unsafeUnwrap().description).toBeNull();
  });
});

describe('a member’s external id stays theirs alone', () => {
  // create answered MEMBER.ALREADY_EXISTS, but update leaked the storage rule as
  // STORAGE.DUPLICATE ("member mem_0006 breaks the uniqueness rule external_id").
  test('changing it to one already taken is MEMBER.ALREADY_EXISTS', async () => {
    const world = aWorld();
    await world.organization('org_1');
    await world.member('org_1', { id: '1001' });
    const other = await world.member('org_1', { id: '1002' });

    const updated = await world.sdk.members.update(ORG, other.id, { externalId: '1001' });

    expect(updated.isErr() && updated.error.code).toBe('MEMBER.ALREADY_EXISTS');
    expect(updated.isErr() && updated.error.message).toContain('external id 1001');
    expect((await world.sdk.members.get(ORG, other.id))._unsafeUnwrap().externalId).toBe('1002');
  });
});
