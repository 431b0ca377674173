import { dateValue, NOT_A_DATE } from './date';
import type { Diagnostic } from './diagnostics';
import type {
  ClaimName,
  ClaimPayment,
  Contact,
  FunctionalGroupEnvelope,
  InterchangeEnvelope,
  Party,
  Procedure,
  Reference,
  ServiceLine,
  Transaction,
  TransactionHeader,
} from './model';
import type { SegmentScanner } from './scanner';
import { segmentId as code, Loop, LQ, N1, N3, N4, NM1, PER, REF } from './segments';

/** Qualifiers compared as packed bytes, so that no text is decoded just to be compared. */
const PAYER = code('PR');
const PAYEE = code('PE');
const PATIENT = code('QC');
const INSURED = code('IL');
const ALLOWED = code('B6');
const PRODUCTION = code('405');
const STATEMENT_START = code('232');
const STATEMENT_END = code('233');
const RECEIVED = code('050');
const SERVICE = code('472');
const SERVICE_START = code('150');
const SERVICE_END = code('151');

/** A model object under construction: writable fields, arrays grown with {@link append}. */
type Draft<T> = { -readonly [K in keyof T]: T[K] };

const NONE: readonly never[] = Object.freeze([]);

/**
 * Adds an item to a list that starts as the shared empty list, so that the many lists that
 * stay empty cost no allocation. Short lists are made anew at their exact size (most hold one
 * to three items); longer ones grow in place and keep the room `push` gives them (a few
 * hundred bytes for a claim of many lines): trimming them cost a twentieth of a typed parse.
 * Every non-empty list was created here, so it is writable.
 */
function append<T>(list: readonly T[], item: T): readonly T[] {
  switch (list.length) {
    case 0:
      return [item];
    case 1:
      return [list[0] as T, item];
    case 2:
      return [list[0] as T, list[1] as T, item];
    default:
      (list as T[]).push(item);
      return list;
  }
}

export interface ModelSink {
  transaction(transaction: Transaction): void;
  /**
   * When present, each claim goes here as soon as it is read instead of into its transaction,
   * and so does each problem of the transaction set outside its claims (`problem`), so that
   * nothing piles up until SE.
   */
  claim?(claim: ClaimPayment, transaction: TransactionHeader): void;
  problem?(diagnostic: Diagnostic, transaction: TransactionHeader): void;
}

/** How many problems a claim keeps; see {@link ModelBuilder.diagnostic}. */
export const CLAIM_DIAGNOSTICS = 100;

/** Dates repeat a lot in a remittance; the text of recent ones is kept in this many slots. */
const DATE_SLOTS = 1_024;

const PENDING_RESPONSIBILITY = Object.freeze({
  declaredCents: null,
  adjustmentCents: 0,
  deductibleCents: 0,
  coinsuranceCents: 0,
  copayCents: 0,
  otherCents: 0,
});

/**
 * Builds the typed model from the segments the reader has checked. The reader decides where
 * each segment belongs and hands over the amounts it parsed; the builder only decodes text
 * and assembles objects, so it can never disagree with the reader about a value.
 */
export class ModelBuilder {
  private interchangeEnvelope: InterchangeEnvelope | null = null;
  private groupEnvelope: FunctionalGroupEnvelope | null = null;
  private current: Draft<Transaction> | null = null;
  private party: Draft<Party> | null = null;
  private currentClaim: Draft<ClaimPayment> | null = null;
  private currentLine: Draft<ServiceLine> | null = null;
  private headerNumberText: string | null = null;
  private declaredCents: number | null = null;
  private readonly dateValues = new Int32Array(DATE_SLOTS).fill(-1);
  private readonly dateTexts: string[] = new Array<string>(DATE_SLOTS).fill('');

  /** `scanner` is the one of the reader that feeds this builder: texts are read from it. */
  constructor(
    private readonly sink: ModelSink,
    private readonly scanner: SegmentScanner,
  ) {}

  interchange(segment: number, offset: number): void {
    const s = this.scanner;
    this.interchangeEnvelope = {
      controlNumber: s.text(13),
      senderQualifier: s.text(5),
      senderId: s.text(6),
      receiverQualifier: s.text(7),
      receiverId: s.text(8),
      versionNumber: s.text(12),
      usageIndicator: s.text(15),
      delimiters: {
        element: String.fromCharCode(s.element),
        component: String.fromCharCode(s.component),
        repetition: s.repetition === -1 ? null : String.fromCharCode(s.repetition),
        segment: String.fromCharCode(s.terminator),
      },
      position: { segment, offset },
    };
    this.groupEnvelope = null;
  }

  /** IEA, or what ends the interchange without one: what follows belongs to no ISA. */
  endInterchange(): void {
    this.interchangeEnvelope = null;
    this.groupEnvelope = null;
  }

  /** GE, or what ends the group without one. */
  endGroup(): void {
    this.groupEnvelope = null;
  }

  group(segment: number, offset: number): void {
    const s = this.scanner;
    this.groupEnvelope = {
      functionalIdentifier: s.text(1),
      senderCode: s.text(2),
      receiverCode: s.text(3),
      date: this.dateElement(4),
      controlNumber: s.text(6),
      version: s.text(8),
      position: { segment, offset },
    };
  }

  transaction(segment: number, offset: number): void {
    const s = this.scanner;
    this.party = null;
    this.current = {
      interchange: this.interchangeEnvelope,
      group: this.groupEnvelope,
      controlNumber: s.text(2),
      implementationReference: s.text(3),
      payment: null,
      trace: null,
      productionDate: null,
      payer: null,
      payee: null,
      references: NONE,
      position: { segment, offset },
      claims: NONE,
      providerAdjustments: NONE,
      diagnostics: NONE,
    };
  }

  payment(amountCents: number | null): void {
    const s = this.scanner;
    if (this.current === null) return;
    this.current.payment = {
      handlingCode: s.text(1),
      amountCents,
      creditDebit: s.text(3),
      method: s.text(4),
      format: s.text(5),
      date: this.dateElement(16),
    };
  }

  trace(): void {
    const s = this.scanner;
    const traceNumber = s.text(2);
    if (this.current === null || traceNumber === null) return;
    this.current.trace = {
      typeCode: s.text(1),
      traceNumber,
      payerIdentifier: s.text(3),
      supplementalCode: s.text(4),
    };
  }

  /** LX: the header the following claims sit under. */
  headerNumber(): void {
    this.headerNumberText = this.scanner.text(1);
  }

  /**
   * DTM at the place the reader found it in, by its qualifier packed as bytes; `date` is its
   * CCYYMMDD date as a number, or NOT_A_DATE when it has none that is real.
   */
  date(loop: Loop, qualifier: number, date: number): void {
    if (loop === Loop.Line) {
      const line = this.currentLine;
      if (line === null) return;
      if (qualifier === SERVICE || (qualifier === SERVICE_START && line.serviceDate === null)) {
        line.serviceDate = this.dateText(date);
      } else if (qualifier === SERVICE_END) {
        line.serviceEndDate = this.dateText(date);
      }
    } else if (loop === Loop.Claim) {
      const claim = this.currentClaim;
      if (claim === null) return;
      if (qualifier === STATEMENT_START) claim.statementStartDate = this.dateText(date);
      else if (qualifier === STATEMENT_END) claim.statementEndDate = this.dateText(date);
      else if (qualifier === RECEIVED) claim.receivedDate = this.dateText(date);
    } else if (loop === Loop.Header && qualifier === PRODUCTION && this.current !== null) {
      this.current.productionDate = this.dateText(date);
    }
  }

  /** A segment without amounts, at the place the reader found it in. */
  detail(id: number, loop: Loop): void {
    if (loop === Loop.Line) this.lineDetail(id);
    else if (loop === Loop.Claim) this.claimDetail(id);
    else if (loop === Loop.Header) this.headerDetail(id);
  }

  /** An AMT whose qualifier is in bytes [qualifierStart, qualifierEnd). */
  amount(amountCents: number, loop: Loop, qualifierStart: number, qualifierEnd: number): void {
    const line = this.currentLine;
    const buf = this.scanner.buf;
    const allowed =
      qualifierEnd - qualifierStart === 2 &&
      (((buf[qualifierStart] as number) << 8) | (buf[qualifierStart + 1] as number)) === ALLOWED;
    if (loop === Loop.Line && line !== null && allowed) {
      line.allowedCents = amountCents;
      return;
    }
    const qualifier = this.textIn(qualifierStart, qualifierEnd);
    if (qualifier === null) return;
    if (loop === Loop.Line && line !== null) {
      line.amounts = append(line.amounts, { qualifier, amountCents });
      return;
    }
    const claim = this.currentClaim;
    if (claim !== null) claim.amounts = append(claim.amounts, { qualifier, amountCents });
  }

  claim(
    segment: number,
    offset: number,
    chargeCents: number,
    paidCents: number,
    declaredCents: number | null,
  ): void {
    const s = this.scanner;
    this.currentLine = null;
    this.declaredCents = declaredCents;
    this.currentClaim = {
      headerNumber: this.headerNumberText,
      patientControlNumber: s.text(1) ?? '',
      statusCode: s.text(2) ?? '',
      chargeCents,
      paidCents,
      patientResponsibility: PENDING_RESPONSIBILITY,
      filingIndicator: s.text(6),
      payerClaimControlNumber: s.text(7),
      facilityTypeCode: s.text(8),
      frequencyCode: s.text(9),
      patient: null,
      insured: null,
      otherNames: NONE,
      adjustments: NONE,
      serviceLines: NONE,
      statementStartDate: null,
      statementEndDate: null,
      receivedDate: null,
      amounts: NONE,
      references: NONE,
      contacts: NONE,
      position: { segment, offset },
      diagnostics: NONE,
    };
  }

  line(chargeCents: number | null, paidCents: number | null, component: number): void {
    const s = this.scanner;
    const line: Draft<ServiceLine> = {
      procedure: this.procedure(1, component) ?? EMPTY_PROCEDURE,
      chargeCents,
      paidCents,
      revenueCode: s.text(4),
      units: s.text(5),
      originalProcedure: this.procedure(6, component),
      originalUnits: s.text(7),
      serviceDate: null,
      serviceEndDate: null,
      adjustments: NONE,
      allowedCents: null,
      amounts: NONE,
      references: NONE,
      remarks: NONE,
    };
    this.currentLine = line;
    const claim = this.currentClaim;
    if (claim !== null) claim.serviceLines = append(claim.serviceLines, line);
  }

  /**
   * One CAS triplet of `group` (CAS01 packed as two bytes, one of the five the reader allows),
   * its reason in bytes [reasonStart, reasonEnd) and its quantity in [quantityStart,
   * quantityEnd), empty when it has none.
   */
  adjustment(
    group: number,
    reasonStart: number,
    reasonEnd: number,
    amountCents: number | null,
    quantityStart: number,
    quantityEnd: number,
    inLine: boolean,
  ): void {
    const adjustment = {
      group: groupText(group),
      reason: this.textIn(reasonStart, reasonEnd) ?? '',
      amountCents,
      quantity: this.textIn(quantityStart, quantityEnd),
    };
    const line = this.currentLine;
    const claim = this.currentClaim;
    if (inLine && line !== null) line.adjustments = append(line.adjustments, adjustment);
    else if (claim !== null) claim.adjustments = append(claim.adjustments, adjustment);
  }

  /** One PLB pair whose reason composite sits at element `reason`, split on `separator`. */
  providerAdjustment(reason: number, amountCents: number | null, separator: number): void {
    const s = this.scanner;
    const transaction = this.current;
    if (transaction === null) return;
    const end = s.ends[reason] as number;
    const split = this.separatorIn(s.starts[reason] as number, end, separator);
    const referenceEnd = split === -1 ? end : this.separatorIn(split + 1, end, separator);
    transaction.providerAdjustments = append(transaction.providerAdjustments, {
      providerId: s.text(1),
      fiscalPeriodDate: this.dateElement(2),
      reason:
        (split === -1 ? s.text(reason) : this.textIn(s.starts[reason] as number, split)) ?? '',
      reference:
        split === -1 ? null : this.textIn(split + 1, referenceEnd === -1 ? end : referenceEnd),
      amountCents,
    });
  }

  endClaim(responsibility: number, deductible: number, coinsurance: number, copay: number): void {
    const claim = this.currentClaim;
    const transaction = this.current;
    this.currentLine = null;
    this.currentClaim = null;
    if (claim === null || transaction === null) return;
    claim.patientResponsibility = {
      declaredCents: this.declaredCents,
      adjustmentCents: responsibility,
      deductibleCents: deductible,
      coinsuranceCents: coinsurance,
      copayCents: copay,
      otherCents: responsibility - deductible - coinsurance - copay,
    };
    if (this.sink.claim === undefined) transaction.claims = append(transaction.claims, claim);
    else this.sink.claim(claim, transaction);
  }

  endTransaction(): void {
    const transaction = this.current;
    this.current = null;
    this.party = null;
    if (transaction !== null) this.sink.transaction(transaction);
  }

  /**
   * Files a diagnostic with the claim or transaction being read; false when there is none.
   * A claim keeps its first {@link CLAIM_DIAGNOSTICS} problems and the rest go to its
   * transaction set, and so at once to `problem` when claims are handed over one by one:
   * memory stays bounded however damaged a claim is, and no problem is dropped.
   */
  diagnostic(diagnostic: Diagnostic): boolean {
    const claim = this.currentClaim;
    if (claim !== null && claim.diagnostics.length < CLAIM_DIAGNOSTICS) {
      claim.diagnostics = append(claim.diagnostics, diagnostic);
      return true;
    }
    const transaction = this.current;
    if (transaction === null) return false;
    if (this.sink.problem !== undefined) this.sink.problem(diagnostic, transaction);
    else transaction.diagnostics = append(transaction.diagnostics, diagnostic);
    return true;
  }

  private headerDetail(id: number): void {
    const s = this.scanner;
    const transaction = this.current;
    if (transaction === null) return;
    if (id === N1) {
      const party: Draft<Party> = {
        name: s.text(2),
        idQualifier: s.text(3),
        id: s.text(4),
        address: null,
        references: NONE,
        contacts: NONE,
      };
      const entity = s.code(1);
      if (entity === PAYER) transaction.payer = party;
      else if (entity === PAYEE) transaction.payee = party;
      this.party = party;
    } else if (id === N3 && this.party !== null) {
      const address = this.party.address;
      const lines = [...(address?.lines ?? []), s.text(1), s.text(2)];
      this.party.address = {
        lines: lines.filter((line) => line !== null),
        city: address?.city ?? null,
        state: address?.state ?? null,
        postalCode: address?.postalCode ?? null,
      };
    } else if (id === N4 && this.party !== null) {
      this.party.address = {
        lines: this.party.address?.lines ?? NONE,
        city: s.text(1),
        state: s.text(2),
        postalCode: s.text(3),
      };
    } else if (id === PER && this.party !== null) {
      this.party.contacts = append(this.party.contacts, this.contact());
    } else if (id === REF) {
      const holder = this.party ?? transaction;
      holder.references = append(holder.references, this.reference());
    }
  }

  private claimDetail(id: number): void {
    const s = this.scanner;
    const claim = this.currentClaim;
    if (claim === null) return;
    if (id === NM1) {
      const entity = s.code(1);
      const name: ClaimName = {
        entity: s.text(1) ?? '',
        entityType: s.text(2),
        lastName: s.text(3),
        firstName: s.text(4),
        middleName: s.text(5),
        suffix: s.text(7),
        idQualifier: s.text(8),
        id: s.text(9),
      };
      if (entity === PATIENT && claim.patient === null) claim.patient = name;
      else if (entity === INSURED && claim.insured === null) claim.insured = name;
      else claim.otherNames = append(claim.otherNames, name);
    } else if (id === REF) {
      claim.references = append(claim.references, this.reference());
    } else if (id === PER) {
      claim.contacts = append(claim.contacts, this.contact());
    }
  }

  private lineDetail(id: number): void {
    const s = this.scanner;
    const line = this.currentLine;
    if (line === null) return;
    if (id === REF) {
      line.references = append(line.references, this.reference());
    } else if (id === LQ) {
      line.remarks = append(line.remarks, { qualifier: s.text(1), code: s.text(2) });
    }
  }

  private contact(): Contact {
    const s = this.scanner;
    let numbers: readonly Reference[] = NONE;
    for (let k = 3; k < s.count; k += 2) {
      const qualifier = s.text(k);
      if (qualifier !== null) numbers = append(numbers, { qualifier, value: s.text(k + 1) });
    }
    return { functionCode: s.text(1) ?? '', name: s.text(2), numbers };
  }

  private reference(): Reference {
    return { qualifier: this.scanner.text(1) ?? '', value: this.scanner.text(2) };
  }

  /** Element k as `YYYY-MM-DD`; null when absent or not a date (the reader reported it). */
  private dateElement(k: number): string | null {
    const s = this.scanner;
    if (!s.has(k)) return null;
    return this.dateText(dateValue(s.buf, s.starts[k] as number, s.ends[k] as number));
  }

  /** A CCYYMMDD date as `YYYY-MM-DD`; null for NOT_A_DATE. */
  private dateText(date: number): string | null {
    if (date === NOT_A_DATE) return null;
    const slot = date & (DATE_SLOTS - 1);
    if (this.dateValues[slot] === date) return this.dateTexts[slot] as string;
    const digits = String(date).padStart(8, '0');
    const text = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}`;
    this.dateValues[slot] = date;
    this.dateTexts[slot] = text;
    return text;
  }

  /** A composite (SVC01 or SVC06): qualifier, code, up to four modifiers, description. */
  private procedure(k: number, separator: number): Procedure | null {
    const s = this.scanner;
    if (!s.has(k)) return null;
    const buf = s.buf;
    const end = s.ends[k] as number;
    let qualifier: string | null = null;
    let code: string | null = null;
    let modifiers: readonly string[] = NONE;
    let description: string | null = null;
    let part = 0;
    let from = s.starts[k] as number;
    for (let i = from; i <= end; i++) {
      if (i < end && buf[i] !== separator) continue;
      const text = this.textIn(from, i);
      if (part === 0) qualifier = text;
      else if (part === 1) code = text;
      else if (part <= 5 && text !== null) modifiers = append(modifiers, text);
      else if (part === 6) description = text;
      part++;
      from = i + 1;
    }
    return { qualifier, code, modifiers, description };
  }

  /** Where the separator first occurs in bytes [from, end), or -1. */
  private separatorIn(from: number, end: number, separator: number): number {
    const buf = this.scanner.buf;
    for (let i = from; i < end; i++) if (buf[i] === separator) return i;
    return -1;
  }

  private textIn(a: number, b: number): string | null {
    const buf = this.scanner.buf;
    let from = a;
    let to = b;
    while (from < to && buf[from] === 0x20) from++;
    while (to > from && buf[to - 1] === 0x20) to--;
    return from === to ? null : this.scanner.decode(from, to);
  }
}

const EMPTY_PROCEDURE: Procedure = Object.freeze({
  qualifier: null,
  code: null,
  modifiers: NONE,
  description: null,
});

/** CAS01 packed as two bytes, as one of the five shared strings (the reader allows no other). */
function groupText(group: number): string {
  if (group === 0x5052) return 'PR';
  if (group === 0x434f) return 'CO';
  if (group === 0x4f41) return 'OA';
  return group === 0x5049 ? 'PI' : 'CR';
}
