import { asId } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { aWorld, org } from '../support/world';

describe('payment requests by hand', () => {
  test('staff create a draft from a claim; it records who did it', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const member = await world.member('org_1');
    const claim = await world.claim('org_1', member.id);

    const created = await world.sdk.requests.create(org('org_1'), {
      claimId: claim.id,
      memberId: member.id,
      internalId: '2024-01-02',
      amount: '20.10',
      createdBy: 'staff_7',
    });

    const request = created._unsafeUnwrap();
    expect(request).toMatchObject({
      status: 'draft',
      memberId: member.id,
      claimId: claim.id,
      internalId: '2024-01-02',
      description: null,
      source: { kind: 'manual', createdBy: 'staff_7' },
      revision: 1,
      version: 1,
    });
    expect(request.amount.minor).toBe(2010);
    const trail = (await world.sdk.requests.auditTrail(org('org_1'), request.id))._unsafeUnwrap();
    expect(trail.map((entry) => [entry.action, entry.to, entry.actor])).toEqual([
      ['created', 'draft', { kind: 'staff', userId: 'staff_7' }],
    ]);
  });

  describe('refusals carry a stable code and store nothing', () => {
    test.each([
      [{ amount: '0' }, 'REQUEST.AMOUNT_NOT_POSITIVE'],
      [{ amount: '-5' }, 'REQUEST.AMOUNT_NOT_POSITIVE'],
      [{ amount: '1.005' }, 'MONEY.TOO_PRECISE'],
      [{ amount: '1e2' }, 'MONEY.INVALID_FORMAT'],
      [{ amount: '0.49' }, 'MONEY.BELOW_MINIMUM_CHARGE'],
      [{ amount: '1000000.00' }, 'MONEY.ABOVE_MAXIMUM_CHARGE'],
      [{ amount: { minor: 500, currency: 'eur' } }, 'REQUEST.CURRENCY_MISMATCH'],
      [{ amount: 20.1 }, 'INPUT.INVALID'],
      [{ internalId: '' }, 'INPUT.INVALID'],
      [{ claimId: 'clm_missing' }, 'CLAIM.NOT_FOUND'],
      [{ memberId: 'member_other' }, 'CLAIM.MEMBER_MISMATCH'],
    ])('%o is refused with %s', async (change, code) => {
      const world = aWorld();
      await world.organization('org_1');
      const member = await world.member('org_1');
      const claim = await world.claim('org_1', member.id);

      const refused = await world.sdk.requests.create(org('org_1'), {
        claimId: claim.id,
        internalId: 'INV-1',
        amount: '20.00',
        createdBy: 'staff_1',
        ...(change as object),
      } as never);

      expect(refused._unsafeUnwrapErr().code).toBe(code);
      expect((await world.sdk.requests.list(org('org_1')))._unsafeUnwrap()).toEqual([]);
    });

    test('an invalid input names the field that is wrong', async () => {
      const world = aWorld();
      await world.organization('org_1');

      const refused = await world.sdk.members.create(org('org_1'), {
        name: 'A',
        email: 'not-an-email',
        phone: '555-0100',
      });

      const error = refused._unsafeUnwrapErr();
      expect(error.code).toBe('INPUT.INVALID');
      expect(error.details.fields).toEqual(['email', 'phone']);
      expect(error.message).toContain('email');
    });
  });

  test('editing a draft: new amount, new revision; editing a sent one is refused', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');

    const edited = await world.sdk.requests.edit(org('org_1'), draft.id, {
      amount: '45.00',
      editedBy: 'staff_2',
    });
    await world.sdk.batch.runNow(org('org_1'));
    const late = await world.sdk.requests.edit(org('org_1'), draft.id, {
      amount: '40.00',
      editedBy: 'staff_2',
    });

    expect(edited._unsafeUnwrap()).toMatchObject({ revision: 2, version: 2 });
    expect(edited._unsafeUnwrap().amount.minor).toBe(4500);
    expect(late._unsafeUnwrapErr().code).toBe('REQUEST.NOT_EDITABLE');
    expect((await world.request('org_1', draft.id)).amount.minor).toBe(4500);
  });

  test('an edit with a stale expected version is refused and changes nothing', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    await world.sdk.requests.edit(org('org_1'), draft.id, { internalId: 'X', editedBy: 's' });

    const stale = await world.sdk.requests.edit(org('org_1'), draft.id, {
      amount: '10.00',
      editedBy: 's',
      expectedVersion: 1,
    });

    expect(stale._unsafeUnwrapErr().code).toBe('STORAGE.CONFLICT');
    expect((await world.request('org_1', draft.id)).amount.minor).toBe(5000);
  });

  test('lists by member, by claim and by status', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const first = await world.draft('org_1', '10.00');
    const second = await world.draft('org_1', '20.00');
    await world.sdk.requests.cancel(org('org_1'), second.id, 'staff_1');

    const byMember = await world.sdk.requests.list(org('org_1'), { memberId: first.memberId });
    const byClaim = await world.sdk.requests.list(org('org_1'), { claimId: second.claimId });
    const drafts = await world.sdk.requests.list(org('org_1'), { statuses: ['draft'] });

    expect(byMember._unsafeUnwrap().map((r) => r.id)).toEqual([first.id]);
    expect(byClaim._unsafeUnwrap().map((r) => [r.id, r.status])).toEqual([[second.id, 'canceled']]);
    expect(drafts._unsafeUnwrap().map((r) => r.id)).toEqual([first.id]);
  });
});

describe('tenancy', () => {
  test("another organization's member, claim and request: not found, unchanged", async () => {
    const world = aWorld();
    await world.organization('org_a');
    await world.organization('org_b');
    const theirs = await world.draft('org_b', '50.00');
    const b = org('org_b');
    const a = org('org_a');

    const outcomes = [
      await world.sdk.members.get(a, theirs.memberId),
      await world.sdk.members.update(a, theirs.memberId, { name: 'Taken' }),
      await world.sdk.claims.get(a, theirs.claimId),
      await world.sdk.claims.recordVisitPayment(a, theirs.claimId, '10.00'),
      await world.sdk.requests.get(a, theirs.id),
      await world.sdk.requests.edit(a, theirs.id, { amount: '1.00', editedBy: 'x' }),
      await world.sdk.requests.cancel(a, theirs.id, 'x'),
      await world.sdk.requests.delete(a, theirs.id, 'x'),
      await world.sdk.requests.auditTrail(a, theirs.id),
      await world.sdk.requests.create(a, {
        claimId: theirs.claimId,
        internalId: 'steal',
        amount: '5.00',
        createdBy: 'x',
      }),
    ];

    expect(outcomes.map((outcome) => outcome._unsafeUnwrapErr().code)).toEqual([
      'MEMBER.NOT_FOUND',
      'MEMBER.NOT_FOUND',
      'CLAIM.NOT_FOUND',
      'CLAIM.NOT_FOUND',
      'REQUEST.NOT_FOUND',
      'REQUEST.NOT_FOUND',
      'REQUEST.NOT_FOUND',
      'REQUEST.NOT_FOUND',
      'REQUEST.NOT_FOUND',
      'CLAIM.NOT_FOUND',
    ]);
    expect(await world.request('org_b', theirs.id)).toEqual(theirs);
    expect((await world.sdk.members.get(b, theirs.memberId))._unsafeUnwrap().name).toMatch(
      /^Member /,
    );
    expect((await world.sdk.requests.list(a))._unsafeUnwrap()).toEqual([]);
  });

  test('an unknown organization is not found', async () => {
    const world = aWorld();

    const outcome = await world.sdk.members.create(asId('org_nope'), { name: 'Nobody' });

    expect(outcome._unsafeUnwrapErr().code).toBe('ORGANIZATION.NOT_FOUND');
  });
});
