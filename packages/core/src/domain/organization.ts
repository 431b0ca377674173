import type { OrganizationId } from './ids';
import type { Currency } from './money';

/** Where an organization's payout account stands on its way to receiving member payments. */
export type PayoutAccountState = 'none' | 'onboarding' | 'restricted' | 'active' | 'disabled';

/** The payout account (a Stripe connected account) and the facts its state is derived from. */
export interface PayoutAccount {
  readonly state: PayoutAccountState;
  readonly accountId: string | null;
  readonly chargesEnabled: boolean;
  readonly payoutsEnabled: boolean;
  readonly detailsSubmitted: boolean;
  /** What the gateway still needs before the account may charge (requirement names). */
  readonly currentlyDue: readonly string[];
  readonly disabledReason: string | null;
  readonly updatedAt: Date | null;
}

export interface OrganizationSettings {
  /** Member payments on or off for the whole organization. */
  readonly memberPaymentsEnabled: boolean;
  /** Create payment requests by themselves from electronic remittances (835). */
  readonly generateFromRemittance: boolean;
  /** Call center on: hosted invoice links also go out by text message. */
  readonly textDeliveryEnabled: boolean;
  /** Local wall time of the overnight batch in the organization's time zone. */
  readonly batchHour: number;
  readonly batchMinute: number;
  /** Days a member has to pay, counted in the organization's calendar from the send date. */
  readonly daysUntilDue: number;
  readonly currency: Currency;
}

export interface Organization {
  readonly id: OrganizationId;
  readonly name: string;
  /** IANA time zone, for example `America/New_York`. */
  readonly timeZone: string;
  readonly settings: OrganizationSettings;
  readonly payoutAccount: PayoutAccount;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export const DEFAULT_SETTINGS: OrganizationSettings = {
  memberPaymentsEnabled: false,
  generateFromRemittance: false,
  textDeliveryEnabled: false,
  batchHour: 2,
  batchMinute: 0,
  daysUntilDue: 30,
  currency: 'usd',
};

/**
 * The settings with a patch laid over them. A key the patch holds as `undefined` keeps its
 * value: spreading would copy it and erase the setting.
 */
export function withSettings(
  settings: OrganizationSettings,
  patch: Partial<OrganizationSettings>,
): OrganizationSettings {
  const given = Object.entries(patch).filter(([, value]) => value !== undefined);
  return { ...settings, ...(Object.fromEntries(given) as Partial<OrganizationSettings>) };
}

export const NO_PAYOUT_ACCOUNT: PayoutAccount = {
  state: 'none',
  accountId: null,
  chargesEnabled: false,
  payoutsEnabled: false,
  detailsSubmitted: false,
  currentlyDue: [],
  disabledReason: null,
  updatedAt: null,
};

/** The facts a gateway reports about a payout account, before they are judged. */
export interface PayoutAccountFacts {
  readonly accountId: string;
  readonly chargesEnabled: boolean;
  readonly payoutsEnabled: boolean;
  readonly detailsSubmitted: boolean;
  readonly currentlyDue: readonly string[];
  readonly disabledReason: string | null;
}

/**
 * Judges the state of a payout account from what the gateway reports. An account is active
 * only when it can charge and nothing is due; a disabled reason wins over everything else.
 */
export function payoutAccountState(facts: PayoutAccountFacts): PayoutAccountState {
  if (facts.disabledReason) {
    return 'disabled';
  }

  if (facts.chargesEnabled && facts.currentlyDue.length === 0) {
    return 'active';
  }

  if (facts.detailsSubmitted) {
    return 'restricted';
  }

  return 'onboarding';
}

export function payoutAccountFrom(facts: PayoutAccountFacts, at: Date): PayoutAccount {
  return {
    state: payoutAccountState(facts),
    accountId: facts.accountId,
    chargesEnabled: facts.chargesEnabled,
    payoutsEnabled: facts.payoutsEnabled,
    detailsSubmitted: facts.detailsSubmitted,
    currentlyDue: [...facts.currentlyDue],
    disabledReason: facts.disabledReason,
    updatedAt: at,
  };
}

export function canCharge(organization: Organization): boolean {
  return organization.payoutAccount.state === 'active';
}
