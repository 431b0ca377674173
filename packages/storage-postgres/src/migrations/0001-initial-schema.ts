/**
 * The first schema. Runs with `search_path` set to the target schema, so names are unqualified.
 * A released migration never changes; a later one alters what it must.
 *
 * Ids are compared byte by byte (`COLLATE "C"`) so that every "in id order" matches the order
 * of the in-memory adapter. Money is integer minor units beside one currency per row.
 */
export const INITIAL_SCHEMA = `
CREATE TABLE organization (
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  time_zone text NOT NULL,
  member_payments_enabled boolean NOT NULL,
  generate_from_remittance boolean NOT NULL,
  text_delivery_enabled boolean NOT NULL,
  batch_hour smallint NOT NULL CHECK (batch_hour BETWEEN 0 AND 23),
  batch_minute smallint NOT NULL CHECK (batch_minute BETWEEN 0 AND 59),
  days_until_due integer NOT NULL CHECK (days_until_due >= 0),
  currency text NOT NULL CHECK (currency IN ('usd', 'cad', 'eur', 'gbp', 'aud', 'jpy', 'kwd')),
  payout_state text NOT NULL
    CHECK (payout_state IN ('none', 'onboarding', 'restricted', 'active', 'disabled')),
  payout_account_id text UNIQUE,
  charges_enabled boolean NOT NULL,
  payouts_enabled boolean NOT NULL,
  details_submitted boolean NOT NULL,
  currently_due text[] NOT NULL,
  disabled_reason text,
  payout_updated_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  CHECK (payout_state = 'none' OR payout_account_id IS NOT NULL)
);

CREATE TABLE member (
  id text COLLATE "C" PRIMARY KEY,
  organization_id text COLLATE "C" NOT NULL REFERENCES organization (id),
  external_id text,
  name text NOT NULL,
  email text,
  phone text,
  text_opt_out boolean NOT NULL,
  customer_id text,
  customer_email text,
  customer_phone text,
  customer_name text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  UNIQUE (organization_id, id),
  UNIQUE (organization_id, external_id),
  CHECK ((customer_id IS NULL) = (customer_name IS NULL)),
  CHECK (customer_id IS NOT NULL OR (customer_email IS NULL AND customer_phone IS NULL))
);

CREATE INDEX member_created_idx ON member (organization_id, created_at, id);

-- A claim's member belongs to the claim's organization: the key includes both.
CREATE TABLE claim (
  id text COLLATE "C" PRIMARY KEY,
  organization_id text COLLATE "C" NOT NULL REFERENCES organization (id),
  member_id text COLLATE "C" NOT NULL,
  patient_control_number text NOT NULL,
  payer_claim_control_number text,
  date_of_service date NOT NULL,
  currency text NOT NULL CHECK (currency IN ('usd', 'cad', 'eur', 'gbp', 'aud', 'jpy', 'kwd')),
  charge_minor bigint NOT NULL CHECK (charge_minor >= 0),
  paid_minor bigint,
  patient_responsibility_minor bigint,
  collected_at_visit_minor bigint NOT NULL CHECK (collected_at_visit_minor >= 0),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  UNIQUE (organization_id, patient_control_number),
  FOREIGN KEY (organization_id, member_id) REFERENCES member (organization_id, id)
);

CREATE INDEX claim_member_idx ON claim (organization_id, member_id, created_at, id);

CREATE TABLE payment_request (
  id text COLLATE "C" PRIMARY KEY,
  organization_id text COLLATE "C" NOT NULL REFERENCES organization (id),
  member_id text COLLATE "C" NOT NULL,
  claim_id text COLLATE "C" NOT NULL,
  internal_id text NOT NULL,
  currency text NOT NULL CHECK (currency IN ('usd', 'cad', 'eur', 'gbp', 'aud', 'jpy', 'kwd')),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  description text,
  source_kind text NOT NULL CHECK (source_kind IN ('manual', 'remittance')),
  source_created_by text,
  source_remittance_id text COLLATE "C",
  claim_payment_key text,
  status text NOT NULL CHECK (status IN (
    'draft', 'sending', 'sent', 'processing', 'partially_paid', 'paid', 'canceled',
    'refund_pending', 'refunded', 'refund_failed', 'failed', 'disputed', 'charged_back'
  )),
  hold_code text CHECK (hold_code IN (
    'member_payments_off', 'payout_account_not_ready', 'no_delivery_channel', 'needs_review',
    'below_minimum_charge'
  )),
  hold_message text,
  hold_since timestamptz,
  revision integer NOT NULL CHECK (revision >= 1),
  customer_id text,
  invoice_id text UNIQUE,
  invoice_revision integer,
  invoice_number text,
  hosted_invoice_url text,
  send_revision integer,
  send_attempts integer CHECK (send_attempts >= 0),
  lease_owner text,
  lease_expires_at timestamptz,
  last_attempt_at timestamptz,
  invoice_requested_at timestamptz,
  last_error_kind text,
  last_error_message text,
  amount_paid_minor bigint NOT NULL CHECK (amount_paid_minor >= 0),
  amount_refunded_minor bigint NOT NULL CHECK (amount_refunded_minor >= 0),
  refunds jsonb NOT NULL CHECK (jsonb_typeof(refunds) = 'array'),
  due_date date,
  text_status text CHECK (text_status IN ('waiting', 'sent', 'failed')),
  text_not_before timestamptz,
  text_sent_at timestamptz,
  text_message_id text,
  text_error text,
  cancel_requested_at timestamptz,
  lifecycle jsonb NOT NULL CHECK (jsonb_typeof(lifecycle) = 'object'),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL CHECK (version >= 1),
  UNIQUE (organization_id, claim_payment_key),
  CHECK (
    (source_kind = 'manual' AND source_created_by IS NOT NULL
      AND source_remittance_id IS NULL AND claim_payment_key IS NULL)
    OR (source_kind = 'remittance' AND source_created_by IS NULL
      AND source_remittance_id IS NOT NULL AND claim_payment_key IS NOT NULL)
  ),
  CHECK (
    (hold_code IS NULL) = (hold_message IS NULL) AND (hold_code IS NULL) = (hold_since IS NULL)
  ),
  CHECK (
    (last_attempt_at IS NULL) = (send_revision IS NULL)
    AND (last_attempt_at IS NULL) = (send_attempts IS NULL)
    AND (last_attempt_at IS NOT NULL
      OR lease_owner IS NULL AND lease_expires_at IS NULL AND invoice_requested_at IS NULL)
  ),
  CHECK ((last_error_kind IS NULL) = (last_error_message IS NULL)),
  CHECK ((text_status IS NULL) = (text_not_before IS NULL))
);

CREATE INDEX payment_request_created_idx ON payment_request (organization_id, created_at, id);
CREATE INDEX payment_request_member_idx
  ON payment_request (organization_id, member_id, created_at, id);
CREATE INDEX payment_request_claim_idx
  ON payment_request (organization_id, claim_id, created_at, id);
CREATE INDEX payment_request_status_idx
  ON payment_request (organization_id, status, created_at, id);
-- The overnight batch's queue: only drafts and requests being sent, oldest first.
CREATE INDEX payment_request_claimable_idx
  ON payment_request (organization_id, created_at, id)
  INCLUDE (status, hold_code, last_attempt_at, lease_expires_at)
  WHERE status IN ('draft', 'sending') AND deleted_at IS NULL;
CREATE INDEX payment_request_held_idx
  ON payment_request (organization_id, hold_code) WHERE hold_code IS NOT NULL;
CREATE INDEX payment_request_text_due_idx
  ON payment_request (organization_id, text_not_before) WHERE text_status = 'waiting';
CREATE INDEX payment_request_deleted_idx
  ON payment_request (organization_id, deleted_at) WHERE deleted_at IS NOT NULL;

-- No foreign key to payment_request: the trail of a removed draft stays.
CREATE TABLE audit_entry (
  sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text COLLATE "C" NOT NULL UNIQUE,
  organization_id text COLLATE "C" NOT NULL REFERENCES organization (id),
  request_id text COLLATE "C" NOT NULL,
  at timestamptz NOT NULL,
  actor jsonb NOT NULL CHECK (jsonb_typeof(actor) = 'object'),
  action text NOT NULL CHECK (action IN (
    'created', 'edited', 'status_changed', 'held', 'released', 'invoice_linked', 'text_sent',
    'text_failed', 'payment_recorded', 'refund_requested', 'refund_recorded', 'deleted', 'note'
  )),
  from_status text CHECK (from_status IN (
    'draft', 'sending', 'sent', 'processing', 'partially_paid', 'paid', 'canceled',
    'refund_pending', 'refunded', 'refund_failed', 'failed', 'disputed', 'charged_back'
  )),
  to_status text CHECK (to_status IN (
    'draft', 'sending', 'sent', 'processing', 'partially_paid', 'paid', 'canceled',
    'refund_pending', 'refunded', 'refund_failed', 'failed', 'disputed', 'charged_back'
  )),
  reason text NOT NULL,
  details jsonb NOT NULL CHECK (jsonb_typeof(details) = 'object')
);

CREATE INDEX audit_entry_request_idx ON audit_entry (organization_id, request_id, sequence);

CREATE TABLE remittance (
  id text COLLATE "C" PRIMARY KEY,
  organization_id text COLLATE "C" NOT NULL REFERENCES organization (id),
  source text NOT NULL CHECK (source IN ('electronic', 'paper')),
  payer_id text NOT NULL,
  payer_name text,
  trace_number text NOT NULL,
  payment_date date,
  received_at timestamptz NOT NULL,
  UNIQUE (organization_id, id),
  UNIQUE (organization_id, payer_id, trace_number)
);

-- Cents of a claim payment may be negative: a payer's reversal takes money back.
CREATE TABLE claim_payment (
  id text COLLATE "C" PRIMARY KEY,
  position bigint GENERATED ALWAYS AS IDENTITY,
  organization_id text COLLATE "C" NOT NULL REFERENCES organization (id),
  remittance_id text COLLATE "C" NOT NULL,
  key text NOT NULL,
  claim_id text COLLATE "C",
  request_id text COLLATE "C",
  patient_control_number text NOT NULL,
  status_code text NOT NULL,
  charge_cents bigint NOT NULL,
  paid_cents bigint NOT NULL,
  patient_responsibility_cents bigint,
  outcome text NOT NULL CHECK (outcome IN (
    'created', 'changed', 'canceled', 'held_for_review', 'recorded', 'unmatched', 'skipped',
    'duplicate'
  )),
  reason text NOT NULL,
  recorded_at timestamptz NOT NULL,
  UNIQUE (organization_id, key),
  FOREIGN KEY (organization_id, remittance_id) REFERENCES remittance (organization_id, id)
);

CREATE INDEX claim_payment_remittance_idx
  ON claim_payment (organization_id, remittance_id, recorded_at, position);

-- Gateway event ids are global; the organization is known only once the event is resolved.
CREATE TABLE gateway_event (
  event_id text COLLATE "C" PRIMARY KEY,
  organization_id text COLLATE "C" REFERENCES organization (id),
  type text NOT NULL,
  applied_at timestamptz NOT NULL
);

CREATE TABLE batch_run (
  id text COLLATE "C" PRIMARY KEY,
  organization_id text COLLATE "C" NOT NULL REFERENCES organization (id),
  local_date date NOT NULL,
  kind text NOT NULL CHECK (kind IN ('scheduled', 'manual')),
  cutoff timestamptz NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  version integer NOT NULL CHECK (version >= 1)
);

CREATE UNIQUE INDEX batch_run_scheduled_day_idx
  ON batch_run (organization_id, local_date) WHERE kind = 'scheduled';
`;
