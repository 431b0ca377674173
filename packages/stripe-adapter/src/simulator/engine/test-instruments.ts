/**
 * Card and bank account numbers with a fixed outcome, in the spirit of Stripe's test numbers.
 * Any other card number with a valid check digit is approved; any other bank account settles.
 */
export const TEST_CARDS = {
  visa: '4242424242424242',
  mastercard: '5555555555554444',
  /** Declined: `card_declined`, decline code `generic_decline`. */
  declined: '4000000000000002',
  /** Declined: `card_declined`, decline code `insufficient_funds`. */
  insufficientFunds: '4000000000009995',
} as const;

/** US bank accounts (routing number `110000000`); the failing ones fail when they settle. */
export const TEST_BANK_ACCOUNTS = {
  routingNumber: '110000000',
  succeeds: '000123456789',
  /** Fails with `insufficient_funds`. */
  insufficientFunds: '000222222227',
  /** Fails with `account_closed`. */
  accountClosed: '000111111113',
  /** Fails with `no_account`. */
  noAccount: '000111111116',
  /** Fails with `debit_not_authorized`. */
  debitNotAuthorized: '000333333335',
} as const;

export interface CardOutcome {
  approved: boolean;
  declineCode: string | null;
  brand: string;
  last4: string;
}

/** What the card network answers for `number`, or null when it is not a card number. */
export function cardOutcome(number: string): CardOutcome | null {
  const digits = number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits) || !passesLuhn(digits)) {
    return null;
  }

  const declineCode =
    digits === TEST_CARDS.declined
      ? 'generic_decline'
      : digits === TEST_CARDS.insufficientFunds
        ? 'insufficient_funds'
        : null;
  return {
    approved: declineCode === null,
    declineCode,
    brand: cardBrand(digits),
    last4: digits.slice(-4),
  };
}

/** The failure code a settling debit from `accountNumber` ends with, or null if it settles. */
export function bankFailureCode(accountNumber: string): string | null {
  switch (accountNumber) {
    case TEST_BANK_ACCOUNTS.insufficientFunds:
      return 'insufficient_funds';
    case TEST_BANK_ACCOUNTS.accountClosed:
      return 'account_closed';
    case TEST_BANK_ACCOUNTS.noAccount:
      return 'no_account';
    case TEST_BANK_ACCOUNTS.debitNotAuthorized:
      return 'debit_not_authorized';
    default:
      return null;
  }
}

/** Test payment method ids accepted by `pay` and PaymentIntent `confirm`. */
export const TEST_PAYMENT_METHODS: Readonly<Record<string, { card?: string; bank?: string }>> = {
  pm_card_visa: { card: TEST_CARDS.visa },
  pm_card_mastercard: { card: TEST_CARDS.mastercard },
  pm_card_chargeDeclined: { card: TEST_CARDS.declined },
  pm_card_chargeDeclinedInsufficientFunds: { card: TEST_CARDS.insufficientFunds },
  pm_usBankAccount: { bank: TEST_BANK_ACCOUNTS.succeeds },
};

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (const [index, char] of [...digits].reverse().entries()) {
    let digit = Number(char);
    if (index % 2 === 1) {
      digit *= 2;
      digit = digit > 9 ? digit - 9 : digit;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

function cardBrand(digits: string): string {
  if (digits.startsWith('4')) {
    return 'visa';
  }
  if (/^5[1-5]/.test(digits) || /^2[2-7]/.test(digits)) {
    return 'mastercard';
  }
  if (/^3[47]/.test(digits)) {
    return 'amex';
  }
  return 'unknown';
}
