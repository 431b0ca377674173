import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from '../http/errors';
import { newestFirst, paginate, timestampFilter } from '../http/list';
import { acceptedParams, type ParamReader } from '../http/params';
import { type ApiCall, type Route, route } from '../http/routes';
import { randomToken } from '../state/ids';
import { AUTOMATIC, type Origin, type Simulation } from '../state/simulation';

/** What a fresh connected account still owes Stripe before it may charge and be paid out. */
const ONBOARDING_REQUIREMENTS = [
  'business_profile.mcc',
  'business_profile.url',
  'external_account',
  'individual.dob.day',
  'individual.first_name',
  'individual.last_name',
  'tos_acceptance.date',
  'tos_acceptance.ip',
];

/** Account links expire 300 s after creation, as in Stripe's documented example. */
export const ACCOUNT_LINK_TTL_SECONDS = 300;

type AccountType = Stripe.Account.Type;
type Capabilities = Stripe.Account.Capabilities;

function requirements(currentlyDue: readonly string[], disabledReason: string | null) {
  return {
    alternatives: [],
    current_deadline: null,
    currently_due: [...currentlyDue],
    disabled_reason: disabledReason as Stripe.Account.Requirements.DisabledReason | null,
    errors: [],
    eventually_due: [...currentlyDue],
    past_due: [...currentlyDue],
    pending_verification: [],
  };
}

function accountTypeOf(params: ParamReader): AccountType {
  const explicit = params.oneOf('type', ['custom', 'express', 'standard'] as const);
  if (explicit !== undefined) {
    return explicit;
  }

  const dashboard = params.object('controller')?.object('stripe_dashboard')?.string('type');
  switch (dashboard) {
    case 'express':
      return 'express';
    case 'none':
      return 'custom';
    case 'full':
      return 'standard';
    default:
      return params.has('controller') ? 'none' : 'standard';
  }
}

function controllerOf(type: AccountType, params: ParamReader): Stripe.Account.Controller {
  const controller = params.object('controller');
  if (type === 'standard' && controller === undefined) {
    return { type: 'account' };
  }

  const dashboard =
    controller?.object('stripe_dashboard')?.string('type') ??
    (type === 'express' ? 'express' : type === 'custom' ? 'none' : 'full');
  return {
    fees: { payer: controller?.object('fees')?.string('payer') ?? 'application_express' },
    is_controller: true,
    losses: { payments: controller?.object('losses')?.string('payments') ?? 'application' },
    requirement_collection: controller?.string('requirement_collection') ?? 'stripe',
    stripe_dashboard: { type: dashboard },
    type: 'application',
  };
}

function requestedCapabilities(params: ParamReader): Capabilities {
  const capabilities: Record<string, 'inactive'> = {};
  const requested = params.object('capabilities');
  for (const name of requested?.keys() ?? []) {
    if (requested?.object(name)?.boolean('requested') === true) {
      capabilities[name] = 'inactive';
    }
  }
  return capabilities as Capabilities;
}

function buildAccount(sim: Simulation, params: ParamReader): Stripe.Account {
  const type = accountTypeOf(params);
  const profile = params.object('business_profile');

  return {
    id: sim.newId('acct'),
    object: 'account',
    business_profile: {
      mcc: profile?.string('mcc') ?? null,
      minority_owned_business_designation: null,
      name: profile?.string('name') ?? null,
      product_description: profile?.string('product_description') ?? null,
      specified_commercial_transactions_act_url: null,
      support_address: null,
      support_email: profile?.string('support_email') ?? null,
      support_phone: profile?.string('support_phone') ?? null,
      support_url: profile?.string('support_url') ?? null,
      url: profile?.string('url') ?? null,
    },
    business_type: (params.string('business_type') ?? null) as Stripe.Account.BusinessType | null,
    capabilities: requestedCapabilities(params),
    charges_enabled: false,
    controller: controllerOf(type, params),
    country: params.string('country') ?? 'US',
    created: sim.now(),
    default_currency: params.string('default_currency') ?? 'usd',
    details_submitted: false,
    email: params.string('email') ?? null,
    external_accounts: { object: 'list', data: [], has_more: false, url: '' },
    future_requirements: requirements([], null),
    metadata: params.metadata(),
    payouts_enabled: false,
    requirements: requirements(ONBOARDING_REQUIREMENTS, 'requirements.past_due'),
    settings: {
      branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
      card_payments: {
        statement_descriptor_prefix: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      dashboard: { display_name: profile?.string('name') ?? null, timezone: 'Etc/UTC' },
      payments: {
        statement_descriptor: null,
        statement_descriptor_kana: null,
        statement_descriptor_kanji: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
    },
    tos_acceptance: { date: null, ip: null, user_agent: null },
    type,
  };
}

export function findAccount(sim: Simulation, id: string, param = 'id'): Stripe.Account {
  const account = sim.platform.accounts.get(id);
  if (account === undefined) {
    throw resourceMissing('account', id, param);
  }
  return account;
}

/** The name members see for a connected account on hosted pages. */
export function businessName(account: Stripe.Account): string | null {
  return account.business_profile?.name ?? account.settings?.dashboard.display_name ?? null;
}

function hasExpressDashboard(account: Stripe.Account): boolean {
  return account.type === 'express' || account.controller?.stripe_dashboard?.type === 'express';
}

/** Changes `account` by `mutate` and emits `account.updated` with what changed before. */
function updateAccount(
  sim: Simulation,
  account: Stripe.Account,
  origin: Origin,
  mutate: (account: Stripe.Account) => void,
): Stripe.Account {
  const before = structuredClone(account);
  mutate(account);

  const previous: Partial<Stripe.Account> = {};
  for (const key of Object.keys(account) as Array<keyof Stripe.Account>) {
    if (JSON.stringify(before[key]) !== JSON.stringify(account[key])) {
      Object.assign(previous, { [key]: before[key] ?? null });
    }
  }
  if (Object.keys(previous).length > 0) {
    sim.emit(sim.partition(account.id), origin, 'account.updated', account, previous);
  }
  return account;
}

/** What Stripe's hosted onboarding does once the account holder submits every detail. */
export function completeOnboarding(
  sim: Simulation,
  accountId: string,
  options: { businessName?: string | undefined } = {},
  origin: Origin = AUTOMATIC,
): Stripe.Account {
  const account = findAccount(sim, accountId);

  return updateAccount(sim, account, origin, (draft) => {
    const capabilities: Record<string, string> = { ...draft.capabilities };
    for (const name of Object.keys(capabilities)) {
      capabilities[name] = 'active';
    }
    draft.capabilities = capabilities as Capabilities;
    draft.charges_enabled = true;
    draft.payouts_enabled = true;
    draft.details_submitted = true;
    draft.requirements = requirements([], null);
    draft.tos_acceptance = { date: sim.now(), ip: '127.0.0.1', user_agent: null };

    const name = options.businessName ?? draft.business_profile?.name ?? 'Simulated Clinic';
    if (draft.business_profile) {
      draft.business_profile.name = name;
    }
    if (draft.settings) {
      draft.settings.dashboard.display_name = name;
    }
  });
}

/** Requirements fall due again: charges and payouts stop. */
export function restrictAccount(
  sim: Simulation,
  accountId: string,
  options: { currentlyDue?: readonly string[] | undefined; disabledReason?: string | undefined },
): Stripe.Account {
  const account = findAccount(sim, accountId);

  return updateAccount(sim, account, AUTOMATIC, (draft) => {
    const capabilities: Record<string, string> = { ...draft.capabilities };
    for (const name of Object.keys(capabilities)) {
      capabilities[name] = 'inactive';
    }
    draft.capabilities = capabilities as Capabilities;
    draft.charges_enabled = false;
    draft.payouts_enabled = false;
    draft.requirements = requirements(
      options.currentlyDue ?? ['individual.verification.document'],
      options.disabledReason ?? 'requirements.past_due',
    );
  });
}

const platformAccounts = new WeakMap<Simulation, Stripe.Account>();

/** `GET /v1/account` without `Stripe-Account`: the platform itself, fully enabled. */
function platformAccount(sim: Simulation): Stripe.Account {
  let account = platformAccounts.get(sim);
  if (account === undefined) {
    account = {
      id: sim.newId('acct'),
      object: 'account',
      charges_enabled: true,
      country: 'US',
      default_currency: 'usd',
      details_submitted: true,
      email: null,
      payouts_enabled: true,
      settings: null,
      type: 'standard',
    };
    platformAccounts.set(sim, account);
  }
  return account;
}

function createAccount({ sim, ctx, params }: ApiCall): Stripe.Account {
  if (ctx.account !== null) {
    throw invalidRequest('Connected accounts can only be created by the platform.', {
      status: 403,
    });
  }

  const account = buildAccount(sim, params);
  sim.platform.accounts.set(account.id, account);
  return account;
}

function updateAccountCall({ sim, ctx, params, path }: ApiCall): Stripe.Account {
  const account = findAccount(sim, path.id ?? '');

  return updateAccount(sim, account, ctx, (draft) => {
    if (params.has('email')) {
      draft.email = params.string('email') ?? null;
    }
    const name = params.object('business_profile')?.string('name');
    if (name !== undefined && draft.business_profile) {
      draft.business_profile.name = name;
    }
    draft.metadata = params.metadata(draft.metadata ?? {});
  });
}

function createLoginLink({ sim, path }: ApiCall): Stripe.LoginLink {
  const account = findAccount(sim, path.id ?? '');
  if (!hasExpressDashboard(account)) {
    throw invalidRequest(
      'Login links can only be created for accounts that use the Express Dashboard.',
      { param: 'account' },
    );
  }
  if (!account.details_submitted) {
    throw invalidRequest('Login links can only be created once the account finished onboarding.', {
      param: 'account',
    });
  }

  return {
    object: 'login_link',
    created: sim.now(),
    url: `${sim.settings.baseUrl}/express/${account.id}/${randomToken(12)}`,
  };
}

function createAccountLink({ sim, params }: ApiCall): Stripe.AccountLink {
  const account = findAccount(sim, params.requireString('account'), 'account');
  const type = params.requireString('type');
  if (type !== 'account_onboarding' && type !== 'account_update') {
    throw invalidRequest(`Invalid type: must be account_onboarding or account_update`, {
      param: 'type',
    });
  }
  if (type === 'account_update' && hasExpressDashboard(account)) {
    throw invalidRequest('account_update links are not available for Express accounts.', {
      param: 'type',
    });
  }

  const token = randomToken(12);
  const created = sim.now();
  sim.accountLinks.set(token, {
    token,
    account: account.id,
    type,
    refreshUrl: params.string('refresh_url') ?? null,
    returnUrl: params.string('return_url') ?? null,
    expiresAt: created + ACCOUNT_LINK_TTL_SECONDS,
    visited: false,
    completed: false,
  });

  return {
    object: 'account_link',
    created,
    expires_at: created + ACCOUNT_LINK_TTL_SECONDS,
    url: `${sim.settings.baseUrl}/setup/e/${account.id}/${token}`,
  };
}

export const accountRoutes: Route[] = [
  route(
    'POST',
    '/v1/accounts',
    acceptedParams<Stripe.AccountCreateParams>({
      account_token: true,
      business_profile: true,
      business_type: true,
      capabilities: true,
      company: true,
      controller: true,
      country: true,
      default_currency: true,
      documents: true,
      email: true,
      expand: true,
      external_account: true,
      groups: true,
      individual: true,
      metadata: true,
      settings: true,
      tos_acceptance: true,
      type: true,
    }),
    createAccount,
  ),
  route(
    'GET',
    '/v1/accounts/:id',
    acceptedParams<Stripe.AccountRetrieveParams>({ expand: true }),
    ({ sim, path }) => findAccount(sim, path.id ?? ''),
  ),
  route(
    'POST',
    '/v1/accounts/:id',
    acceptedParams<Stripe.AccountUpdateParams>({
      account_token: true,
      business_profile: true,
      business_type: true,
      capabilities: true,
      company: true,
      default_currency: true,
      documents: true,
      email: true,
      expand: true,
      external_account: true,
      groups: true,
      individual: true,
      metadata: true,
      settings: true,
      tos_acceptance: true,
    }),
    updateAccountCall,
  ),
  route(
    'DELETE',
    '/v1/accounts/:id',
    acceptedParams<Stripe.AccountDeleteParams>({}),
    ({ sim, path }): Stripe.DeletedAccount => {
      const account = findAccount(sim, path.id ?? '');
      sim.platform.accounts.delete(account.id);
      return { id: account.id, object: 'account', deleted: true };
    },
  ),
  route(
    'GET',
    '/v1/accounts',
    acceptedParams<Stripe.AccountListParams>({
      created: true,
      ending_before: true,
      expand: true,
      limit: true,
      starting_after: true,
    }),
    ({ sim, params }) => {
      const created = timestampFilter(params, 'created');
      const accounts = newestFirst(sim.platform.accounts.values()).filter((account) =>
        created(account.created ?? 0),
      );
      return paginate(accounts, params, '/v1/accounts');
    },
  ),
  route(
    'GET',
    '/v1/account',
    acceptedParams<Stripe.AccountRetrieveCurrentParams>({ expand: true }),
    ({ sim, ctx }) => (ctx.account === null ? platformAccount(sim) : findAccount(sim, ctx.account)),
  ),
  route(
    'POST',
    '/v1/accounts/:id/login_links',
    acceptedParams<Stripe.AccountCreateLoginLinkParams>({ expand: true }),
    createLoginLink,
  ),
  route(
    'POST',
    '/v1/account_links',
    acceptedParams<Stripe.AccountLinkCreateParams>({
      account: true,
      collect: true,
      collection_options: true,
      expand: true,
      refresh_url: true,
      return_url: true,
      type: true,
    }),
    createAccountLink,
  ),
];
