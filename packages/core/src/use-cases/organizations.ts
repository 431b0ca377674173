import { err, errAsync, ok, okAsync, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import { DomainError } from '../domain/errors';
import { asId, type OrganizationId } from '../domain/ids';
import { canonicalTimeZone, isValidTimeZone } from '../domain/local-date';
import { CURRENCIES } from '../domain/money';
import {
  DEFAULT_SETTINGS,
  NO_PAYOUT_ACCOUNT,
  type Organization,
  type OrganizationSettings,
  type PayoutAccountFacts,
  payoutAccountFrom,
  withSettings,
} from '../domain/organization';
import type { UnitOfWork } from '../ports/storage.port';
import { type Context, validate } from './context';

const settingsSchema = z
  .object({
    memberPaymentsEnabled: z.boolean(),
    generateFromRemittance: z.boolean(),
    textDeliveryEnabled: z.boolean(),
    batchHour: z.number().int().min(0).max(23),
    batchMinute: z.number().int().min(0).max(59),
    daysUntilDue: z.number().int().min(1).max(365),
    currency: z.enum(Object.keys(CURRENCIES) as [keyof typeof CURRENCIES]),
  })
  .strict();

const createSchema = z
  .object({
    id: z.string().trim().min(1).max(100).optional(),
    name: z.string().trim().min(1).max(200),
    timeZone: z
      .string()
      .refine(isValidTimeZone, { message: 'must be an IANA time zone' })
      .transform(canonicalTimeZone),
    settings: settingsSchema.partial().optional(),
  })
  .strict();

export type CreateOrganizationInput = z.input<typeof createSchema>;
export type SettingsPatch = Partial<OrganizationSettings>;

export function loadOrganization(
  tx: UnitOfWork,
  organizationId: OrganizationId,
): Promise<Organization | DomainError> {
  return tx.organizations.get(organizationId).then(
    (organization) =>
      organization ??
      new DomainError('ORGANIZATION.NOT_FOUND', `Organization ${organizationId} not found`, {
        organizationId,
      }),
  );
}

export function createOrganization(
  context: Context,
  input: CreateOrganizationInput,
): ResultAsync<Organization, DomainError> {
  const valid = validate(createSchema, input, 'organization');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  const now = context.clock.now();
  const organization: Organization = {
    id: asId(valid.value.id ?? context.ids.next('org')),
    name: valid.value.name,
    timeZone: valid.value.timeZone,
    settings: withSettings(DEFAULT_SETTINGS, valid.value.settings ?? {}),
    payoutAccount: NO_PAYOUT_ACCOUNT,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  return context.storage
    .transaction(async (tx) => ok(await tx.organizations.insert(organization)))
    .mapErr((error) =>
      error.code === 'STORAGE.DUPLICATE'
        ? new DomainError(
            'ORGANIZATION.ALREADY_EXISTS',
            `Organization ${organization.id} already exists`,
            { organizationId: organization.id },
          )
        : error,
    );
}

export function getOrganization(
  context: Context,
  organizationId: OrganizationId,
): ResultAsync<Organization, DomainError> {
  return context.storage.transaction(async (tx) => {
    const organization = await loadOrganization(tx, organizationId);
    return organization instanceof DomainError ? err(organization) : ok(organization);
  });
}

/** Changes the organization's settings (member payments, remittance automation, texts...). */
export function configureOrganization(
  context: Context,
  organizationId: OrganizationId,
  patch: SettingsPatch,
): ResultAsync<Organization, DomainError> {
  const valid = validate(settingsSchema.partial(), patch, 'organization settings');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  return context.storage.transaction(async (tx) => {
    const organization = await loadOrganization(tx, organizationId);
    if (organization instanceof DomainError) {
      return err(organization);
    }

    const currency = valid.value.currency;
    if (currency !== undefined && currency !== organization.settings.currency) {
      const locked = await currencyLocked(tx, organization, currency);
      if (locked) {
        return err(locked);
      }
    }

    return ok(
      await tx.organizations.update({
        ...organization,
        settings: withSettings(organization.settings, valid.value),
        updatedAt: context.clock.now(),
      }),
    );
  });
}

/**
 * Amounts already stored (claims, visit payments, requests and their invoices) are in the
 * organization's currency and are never converted, so the currency may change only while there
 * are none. A claim needs a member, so no member means no claim; requests (deleted ones too) are
 * looked at as well, so that the rule still holds should members one day be removable.
 */
async function currencyLocked(
  tx: UnitOfWork,
  organization: Organization,
  wanted: string,
): Promise<DomainError | null> {
  const members = await tx.members.list(organization.id, { limit: 1 });
  const requests =
    members.length > 0
      ? []
      : await tx.requests.list(organization.id, { includeDeleted: true }, { limit: 1 });
  if (members.length === 0 && requests.length === 0) {
    return null;
  }

  const current = organization.settings.currency;
  return new DomainError(
    'ORGANIZATION.CURRENCY_LOCKED',
    `Invalid organization settings: currency: cannot change from ${current.toUpperCase()} to ` +
      `${wanted.toUpperCase()} once the organization has members, claims or requests; their ` +
      'amounts stay in the currency they were made in',
    { fields: ['currency'], currency: current },
  );
}

// Stripe sends the person onboarding to these pages: web addresses only, never `javascript:`
// or `file:` ones that a browser would run or open instead.
const webAddress = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' });

const onboardingSchema = z
  .object({
    refreshUrl: webAddress,
    returnUrl: webAddress,
    email: z.email().nullable().optional(),
    country: z.string().length(2).optional(),
  })
  .strict();

export type OnboardingInput = z.input<typeof onboardingSchema>;

/**
 * Starts (or continues) payout account onboarding: creates the organization's payout account
 * once, then returns a fresh single-use onboarding link every time it is called.
 */
export function startPayoutOnboarding(
  context: Context,
  organizationId: OrganizationId,
  input: OnboardingInput,
): ResultAsync<
  { readonly url: string; readonly expiresAt: Date; readonly accountId: string },
  DomainError
> {
  const valid = validate(onboardingSchema, input, 'onboarding request');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  return getOrganization(context, organizationId)
    .andThen((organization) =>
      organization.payoutAccount.accountId
        ? okAsync(organization.payoutAccount.accountId)
        : createPayoutAccount(
            context,
            organization,
            valid.value.email ?? null,
            valid.value.country,
          ),
    )
    .andThen((accountId) =>
      context.gateway
        .createOnboardingLink({
          accountId,
          refreshUrl: valid.value.refreshUrl,
          returnUrl: valid.value.returnUrl,
        })
        .map((link) => ({ ...link, accountId }))
        .mapErr(gatewayFailure),
    );
}

function createPayoutAccount(
  context: Context,
  organization: Organization,
  email: string | null,
  country = 'US',
): ResultAsync<string, DomainError> {
  // The key names the organization only: asking twice, even from two places, makes one account.
  return context.gateway
    .createPayoutAccount({
      organizationId: organization.id,
      name: organization.name,
      email,
      country,
      idempotencyKey: `mp:${organization.id}:payout-account`,
    })
    .mapErr(gatewayFailure)
    .andThen(({ accountId }) =>
      context.storage.transaction(async (tx) => {
        const current = await loadOrganization(tx, organization.id);
        if (current instanceof DomainError) {
          return err(current);
        }

        if (current.payoutAccount.accountId === null) {
          await tx.organizations.update({
            ...current,
            payoutAccount: { ...NO_PAYOUT_ACCOUNT, state: 'onboarding', accountId },
            updatedAt: context.clock.now(),
          });
        }

        return ok(current.payoutAccount.accountId ?? accountId);
      }),
    );
}

/** Reads the payout account back from the gateway and stores what it says. */
export function refreshPayoutAccount(
  context: Context,
  organizationId: OrganizationId,
): ResultAsync<Organization, DomainError> {
  return getOrganization(context, organizationId).andThen((organization) => {
    const accountId = organization.payoutAccount.accountId;
    if (!accountId) {
      return errAsync(
        new DomainError(
          'ORGANIZATION.NO_PAYOUT_ACCOUNT',
          `Organization ${organizationId} has not started payout account onboarding`,
          { organizationId },
        ),
      );
    }

    return context.gateway
      .getPayoutAccount(accountId)
      .mapErr(gatewayFailure)
      .andThen((facts) => applyPayoutAccountFacts(context, organizationId, facts));
  });
}

export function applyPayoutAccountFacts(
  context: Context,
  organizationId: OrganizationId,
  facts: PayoutAccountFacts,
): ResultAsync<Organization, DomainError> {
  return context.storage.transaction(async (tx) => {
    const organization = await loadOrganization(tx, organizationId);
    if (organization instanceof DomainError) {
      return err(organization);
    }

    const payoutAccount = payoutAccountFrom(facts, context.clock.now());
    context.logger.info('payout account updated', {
      organizationId,
      state: payoutAccount.state,
    });
    return ok(
      await tx.organizations.update({
        ...organization,
        payoutAccount,
        updatedAt: context.clock.now(),
      }),
    );
  });
}

export function gatewayFailure(
  error: Error & { kind?: string; code?: string | null },
): DomainError {
  return new DomainError(
    'GATEWAY.FAILED',
    `The payment gateway refused or failed: ${error.message}`,
    { kind: error.kind ?? 'unknown', gatewayCode: error.code ?? null },
    error,
  );
}
