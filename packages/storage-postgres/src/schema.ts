/** Where memberpay keeps its tables unless told otherwise. */
export const DEFAULT_SCHEMA = 'memberpay';

const TABLES = [
  'organization',
  'member',
  'claim',
  'payment_request',
  'audit_entry',
  'remittance',
  'claim_payment',
  'gateway_event',
  'batch_run',
] as const;

export type TableName = (typeof TABLES)[number];

/** Each table's name, qualified with the schema and ready to paste into a statement. */
export type Tables = Readonly<Record<TableName, string>>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The schema name, quoted for SQL. Only plain identifiers are accepted, so that the name can
 * never carry SQL of its own.
 */
export function quotedSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new RangeError(
      `"${schema}" is not a schema name memberpay accepts: use letters, digits and underscores`,
    );
  }

  return `"${schema}"`;
}

export function tablesIn(schema: string): Tables {
  const prefix = quotedSchema(schema);
  return {
    organization: `${prefix}.organization`,
    member: `${prefix}.member`,
    claim: `${prefix}.claim`,
    payment_request: `${prefix}.payment_request`,
    audit_entry: `${prefix}.audit_entry`,
    remittance: `${prefix}.remittance`,
    claim_payment: `${prefix}.claim_payment`,
    gateway_event: `${prefix}.gateway_event`,
    batch_run: `${prefix}.batch_run`,
  };
}

/** Every table memberpay keeps. */
export const ALL_TABLES: readonly TableName[] = TABLES;
