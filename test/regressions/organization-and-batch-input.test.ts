import {
  asId,
  DEFAULT_SETTINGS,
  type OrganizationSettings,
  type RunBatchOptions,
} from '@memberpay/core';
import { ok } from 'neverthrow';
import { describe, expect, test } from 'vitest';
import { aWorld } from '../support/world';
import { ORG } from './support';

const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as Array<keyof OrganizationSettings>;

describe('an explicit undefined in organization settings', () => {
  // `{ ...stored, ...patch }` copies an own key whose value is undefined, so the setting was
  // erased; the batch then threw "Invalid time value" on every tick.
  test.each(SETTING_KEYS)('configure with %s: undefined keeps the stored value', async (key) => {
    const world = aWorld();
    const before = await world.organization('org_1', { batchHour: 4, daysUntilDue: 10 });

    const configured = await world.sdk.organizations.configure('org_1', { [key]: undefined });

    expect(configured._unsafeUnwrap().settings).toEqual(before.settings);
    const stored = (await world.sdk.organizations.get('org_1'))._unsafeUnwrap();
    expect(stored.settings).toEqual(before.settings);
  });

  test.each(SETTING_KEYS)('create with %s: undefined takes the default', async (key) => {
    const world = aWorld();

    const created = await world.sdk.organizations.create({
      id: 'org_1',
      name: 'Clinic',
      timeZone: 'America/New_York',
      settings: { [key]: undefined },
    });

    expect(created._unsafeUnwrap().settings).toEqual(DEFAULT_SETTINGS);
  });

  test('the batch still sends after a patch with undefined values', async () => {
    const world = aWorld();
    await world.organization('org_1');
    await world.draft('org_1');

    await world.sdk.organizations.configure('org_1', {
      batchHour: undefined,
      daysUntilDue: undefined,
    });
    const report = await world.sdk.batch.runNow(ORG);

    expect(report._unsafeUnwrap().sent).toBe(1);
  });
});

describe('one organization’s failure in a tick', () => {
  /** Erases a stored setting behind the SDK's back, as the spreading bug did. */
  async function eraseSetting(
    world: ReturnType<typeof aWorld>,
    id: string,
    key: keyof OrganizationSettings,
  ): Promise<void> {
    await world.storage.transaction(async (tx) => {
      const stored = await tx.organizations.get(asId(id));
      if (!stored) {
        throw new Error(`no organization ${id}`);
      }

      const { [key]: _erased, ...settings } = stored.settings;
      return ok(
        await tx.organizations.update({
          ...stored,
          settings: settings as OrganizationSettings,
        }),
      );
    });
  }

  test('a throwing organization is reported and the others are still sent', async () => {
    // 00:00 in New York: the drafts are made before the 02:00 batch.
    const world = aWorld({ start: '2024-01-10T05:00:00.000Z' });
    await world.organization('org_0');
    await world.draft('org_0');
    await eraseSetting(world, 'org_0', 'daysUntilDue');
    await world.organization('org_1');
    const draft = await world.draft('org_1');
    world.clock.set('2024-01-10T08:00:00.000Z');

    const ticked = await world.sdk.batch.tick();

    const report = ticked._unsafeUnwrap();
    expect(report.errors.map((error) => error.organizationId)).toEqual(['org_0']);
    expect(report.errors[0]).toMatchObject({ code: 'BATCH.UNEXPECTED_ERROR' });
    expect(report.errors[0]?.message).toContain('Invalid time value');
    expect(report.batches.map((batch) => [batch.organizationId, batch.sent])).toEqual([
      ['org_1', 1],
    ]);
    expect((await world.request('org_1', draft.id)).status).toBe('sent');
    expect(world.logger.warnings().map((line) => line.fields.organizationId)).toContain('org_0');
  });
});

describe('a throwing progress callback', () => {
  // It rejected the run and left the rest of the page in `sending` for the 5-minute lease.
  test('is logged and the batch sends everything', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const drafts = [
      await world.draft('org_1', '50.00'),
      await world.draft('org_1', '30.00'),
      await world.draft('org_1', '25.00'),
    ];

    const report = await world.sdk.batch.runNow(ORG, {
      onProgress: () => {
        throw new Error('ui broke');
      },
    });

    expect(report._unsafeUnwrap().sent).toBe(3);
    for (const draft of drafts) {
      expect((await world.request('org_1', draft.id)).status).toBe('sent');
    }
    const warnings = world.logger.warnings().filter((line) => line.fields.error === 'ui broke');
    expect(warnings).toHaveLength(3);
  });

  test('given to tick is logged, and the run goes on', async () => {
    const world = aWorld({ start: '2024-01-10T05:00:00.000Z' });
    await world.organization('org_1');
    await world.draft('org_1');
    await world.draft('org_1');
    world.clock.set('2024-01-10T08:00:00.000Z');

    const ticked = await world.sdk.batch.tick({
      onProgress: () => {
        throw new Error('ui broke');
      },
    });

    const report = ticked._unsafeUnwrap();
    expect(report.errors).toEqual([]);
    expect(report.batches.map((batch) => batch.sent)).toEqual([2]);
  });
});

describe('changing the currency', () => {
  // Requests on USD claims came out in EUR, and every USD remittance was refused afterwards.
  test('is refused once the organization has a claim and a request', async () => {
    const world = aWorld();
    await world.organization('org_1', { daysUntilDue: 10 });
    await world.draft('org_1');

    const configured = await world.sdk.organizations.configure('org_1', {
      currency: 'eur',
      daysUntilDue: 20,
    });

    expect(configured.isErr() && configured.error.code).toBe('ORGANIZATION.CURRENCY_LOCKED');
    expect(configured.isErr() && configured.error.message).toContain('currency');
    expect(configured.isErr() && configured.error.details).toMatchObject({
      fields: ['currency'],
    });
    const stored = (await world.sdk.organizations.get('org_1'))._unsafeUnwrap();
    expect(stored.settings).toMatchObject({ currency: 'usd', daysUntilDue: 10 });
  });

  test('is refused once the organization has a member', async () => {
    const world = aWorld();
    await world.organization('org_1');
    await world.member('org_1');

    const configured = await world.sdk.organizations.configure('org_1', { currency: 'cad' });

    expect(configured.isErr() && configured.error.message).toContain('currency');
  });

  test('is allowed before the first member, and the same currency always', async () => {
    const world = aWorld();
    await world.organization('org_1');

    const changed = await world.sdk.organizations.configure('org_1', { currency: 'eur' });
    await world.member('org_1');
    const same = await world.sdk.organizations.configure('org_1', {
      currency: 'eur',
      daysUntilDue: 7,
    });

    expect(changed._unsafeUnwrap().settings.currency).toBe('eur');
    expect(same._unsafeUnwrap().settings).toMatchObject({ currency: 'eur', daysUntilDue: 7 });
  });
});

describe('batch options', () => {
  test('null options mean the defaults, for runNow and tick', async () => {
    const world = aWorld({ start: '2024-01-10T05:00:00.000Z' });
    await world.organization('org_1');
    await world.draft('org_1');
    world.clock.set('2024-01-10T08:00:00.000Z');

    const ran = await world.sdk.batch.runNow(ORG, null as unknown as RunBatchOptions);
    const ticked = await world.sdk.batch.tick(null as unknown as undefined);

    expect(ran._unsafeUnwrap().sent).toBe(1);
    expect(ticked._unsafeUnwrap().errors).toEqual([]);
  });

  test.each([
    ['a string', '2024-01-01'],
    ['an invalid Date', new Date('x')],
    ['a number', Date.UTC(2030, 0, 1)],
  ])('a cutoff that is %s is refused, naming it, and nothing is sent', async (_what, cutoff) => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1');

    const ran = await world.sdk.batch.runNow(ORG, { cutoff } as unknown as RunBatchOptions);

    expect(ran.isErr() && ran.error.code).toBe('INPUT.INVALID');
    expect(ran.isErr() && ran.error.details).toMatchObject({ fields: ['cutoff'] });
    expect(ran.isErr() && ran.error.message).toContain('cutoff');
    expect((await world.request('org_1', draft.id)).status).toBe('draft');
    expect(world.gateway.invoices()).toEqual([]);
  });

  test.each([
    ['onProgress', 'not a function'],
    ['notAttemptedSince', new Date('x')],
    ['textsOnly', 'yes'],
    ['runId', 42],
    ['cuttoff', new Date()],
  ])('runNow refuses %s: %s', async (field, value) => {
    const world = aWorld();
    await world.organization('org_1');
    await world.draft('org_1');

    const ran = await world.sdk.batch.runNow(ORG, { [field]: value } as RunBatchOptions);

    expect(ran.isErr() && ran.error.code).toBe('INPUT.INVALID');
    expect(ran.isErr() && ran.error.message).toContain(field);
    expect(world.gateway.invoices()).toEqual([]);
  });

  test.each([
    ['onProgress', 5],
    ['onProgres', () => undefined],
  ])('tick refuses %s', async (field, value) => {
    const world = aWorld({ start: '2024-01-10T05:00:00.000Z' });
    await world.organization('org_1');
    await world.draft('org_1');
    world.clock.set('2024-01-10T08:00:00.000Z');

    const ticked = await world.sdk.batch.tick({ [field]: value } as Parameters<
      typeof world.sdk.batch.tick
    >[0]);

    expect(ticked.isErr() && ticked.error.code).toBe('INPUT.INVALID');
    expect(ticked.isErr() && ticked.error.message).toContain(field);
    expect(world.gateway.invoices()).toEqual([]);
  });
});

/** An organization that has not connected a payout account yet. */
async function clinicToOnboard() {
  const world = aWorld();
  await world.sdk.organizations.create({
    id: 'org_1',
    name: 'Clinic',
    timeZone: 'America/New_York',
  });
  return world;
}

describe('payout onboarding addresses', () => {
  // A host passed its own deep link (`myapp://done`) as the return URL; Stripe would send the
  // clinic's staff to it from the onboarding page.
  test.each([
    ['refreshUrl', 'javascript:alert(1)'],
    ['returnUrl', 'file:///etc/passwd'],
    ['returnUrl', 'myapp://done'],
  ])('%s %s is refused, naming the field', async (field, url) => {
    const world = await clinicToOnboard();

    const started = await world.sdk.organizations.startPayoutOnboarding('org_1', {
      refreshUrl: 'https://clinic.example/refresh',
      returnUrl: 'https://clinic.example/return',
      [field]: url,
    });

    const error = started._unsafeUnwrapErr();
    expect(error.code).toBe('INPUT.INVALID');
    expect(error.message).toContain(field);
    expect(error.message).toContain('must be an http or https URL');
  });

  test('http and https addresses are taken', async () => {
    const world = await clinicToOnboard();

    const started = await world.sdk.organizations.startPayoutOnboarding('org_1', {
      refreshUrl: 'http://localhost:3000/refresh',
      returnUrl: 'https://clinic.example/return',
    });

    expect(started._unsafeUnwrap().url).toMatch(/^https?:\/\//);
  });
});

describe('time zones', () => {
  // A host passed the zone as its users typed it; the organization must still be in one zone
  // under one name, whatever alias or case named it.
  test.each([
    ['america/new_york', 'America/New_York'],
    ['US/Eastern', 'America/New_York'],
    ['utc', 'UTC'],
  ])('%s is stored as %s', async (given, stored) => {
    const world = aWorld();

    const created = await world.sdk.organizations.create({
      id: 'org_1',
      name: 'Clinic',
      timeZone: given,
    });

    expect(created._unsafeUnwrap().timeZone).toBe(stored);
  });

  test('a zone that is none is refused, naming the field', async () => {
    const world = aWorld();

    const created = await world.sdk.organizations.create({
      id: 'org_1',
      name: 'Clinic',
      timeZone: 'Mars/Olympus_Mons',
    });

    expect(created._unsafeUnwrapErr().message).toMatch(/timeZone.*must be an IANA time zone/);
  });
});
