import { describeAmountProblem, MAX_AMOUNT_CENTS, NOT_AN_AMOUNT, parseCents } from './amount';
import { ModelBuilder, type ModelSink } from './builder';
import { dateValue, dateValueAt, isDate, NOT_A_DATE } from './date';
import { type Diagnostic, type DiagnosticCode, severityOf } from './diagnostics';
import { isAlphanumeric, MAX_SEGMENT_BYTES, type ScanListener, SegmentScanner } from './scanner';
import { AMT, CAS, CLP, DTM, Loop, LQ, NM1, REF, SVC } from './segments';

/** Totals of a whole input, as `era835 stats` prints them. */
export interface Era835Stats {
  readonly bytes: number;
  readonly interchanges: number;
  readonly groups: number;
  /** 835 transaction sets read (ST to SE). */
  readonly transactions: number;
  /** Claim payments read; a claim skipped for damage is not counted. */
  readonly claims: number;
  readonly serviceLines: number;
  /** Sum of CLP04 over the claims read. */
  readonly paidCents: number;
  /** Sum of every group PR adjustment (claim and line level) over the claims read. */
  readonly patientResponsibilityCents: number;
  readonly warnings: number;
  readonly errors: number;
}

/** An element that was left out; amounts below -MAX_AMOUNT_CENTS are markers, not money. */
const ABSENT = NOT_AN_AMOUNT + 1;

function isAmount(value: number): boolean {
  return value >= -MAX_AMOUNT_CENTS;
}

/** CAS01 group codes packed as two bytes: CO, CR, OA, PI and PR. */
const CO = 0x434f;
const CR = 0x4352;
const OA = 0x4f41;
const PI = 0x5049;
const PR = 0x5052;

/** Where the money totals sit in `Era835Reader.totalCents`. */
const PAID = 0;
const RESPONSIBILITY = 1;

/** What the counting fast lane returns for a segment it leaves to the scanner. */
const NOT_TAKEN = -1;

/** How close to the end of a buffer the fast lane stops taking segments. */
const NEAR_THE_END = 256;

const HEADER = 1 << Loop.Header;
const DETAIL = 1 << Loop.Detail;
const CLAIM = 1 << Loop.Claim;
const LINE = 1 << Loop.Line;
/** Where a claim starts without a word (after PLB it is read with a warning). */
const CLAIM_STARTS = HEADER | DETAIL | CLAIM | LINE | (1 << Loop.SkippedClaim);

/**
 * Reads 835 segments in order and checks them: structure, required elements, amounts, dates,
 * envelope counts and control numbers, balancing and patient responsibility. It keeps only
 * running numbers, so memory stays flat whatever the input size; with a sink it also hands
 * every segment to the typed model. Both ways find exactly the same problems.
 *
 * TODO(#3): whole processes build the typed model at 2.96x to 3.10x the bare byte scanner
 * (3x asked) on one machine and at 3.56x to 3.74x on another, where counting also misses its
 * 1.5x (1.80x to 1.90x). The typed model's cost above counting is making objects and strings,
 * spread thin over the segment kinds, and recording element bounds (about a tenth). On the
 * second machine, telling each segment apart and finding its end with a native search alone
 * takes 0.83x the scanner's time; reading the amounts, dates and codes of its 20 bytes or so
 * takes about as much again (reading an amount's digits four at a time changed nothing).
 */
export class Era835Reader implements ScanListener {
  private readonly scanner = new SegmentScanner(this);
  /** Null when only counting: no typed model is built. */
  private readonly builder: ModelBuilder | null;
  /** The scanner's element bounds, which the fast lane records for the typed model. */
  private readonly starts = this.scanner.starts;
  private readonly ends = this.scanner.ends;
  private loop: Loop = Loop.Outside;
  private segmentNumber = 0;
  /** Set once the input is over: problems found then belong to no segment. */
  private ended = false;
  /** Set after a segment outside any transaction set, so that a run of them is reported once. */
  private straying = false;

  private interchangeOpen = false;
  private interchangeControl = '';
  private groupsInInterchange = 0;
  private groupOpen = false;
  private groupControl = '';
  private transactionsInGroup = 0;

  private transactionControl = '';
  private transactionSegment = 0;
  private transactionOffset = 0;
  private paymentSeen = false;
  private traceSeen = false;
  private paymentCents = ABSENT;
  private paymentDebit = false;
  private paymentSegment = 0;
  private paymentOffset = 0;
  private claimsPaidCents = 0;
  private providerAdjustmentCents = 0;
  /** False once an amount that balancing needs could not be read (an error says which). */
  private transactionComplete = true;

  private claimSegment = 0;
  private claimOffset = 0;
  private claimCharge = 0;
  private claimPaid = 0;
  private claimDeclared = ABSENT;
  private claimAdjustments = 0;
  private claimComplete = true;
  private responsibility = 0;
  private deductible = 0;
  private coinsurance = 0;
  private copay = 0;

  private lineSegment = 0;
  private lineOffset = 0;
  private lineCharge = ABSENT;
  private linePaid = ABSENT;
  private lineAdjustments = 0;
  private lineComplete = true;

  private interchanges = 0;
  private groups = 0;
  private transactions = 0;
  private claims = 0;
  private serviceLines = 0;
  /**
   * Money totals pass 2^31 in large files and then stop being small integers to the engine,
   * which would recompile the code every claim runs through when that happens. They are held
   * as doubles from the start (exact for integers up to 2^53): paid cents, then patient
   * responsibility cents.
   */
  private readonly totalCents = new Float64Array(2);
  private warnings = 0;
  private errors = 0;
  private bytes = 0;

  /** Where the amount the fast lane read last ends, and the CAS reason it read last. */
  private cursor = 0;
  private reason = 0;
  /** Where the reason and the quantity of the CAS triplet the fast lane read last are. */
  private readonly triplet = new Int32Array(4);
  /** The delimiters the fast lane was set up for, whether it runs, and its leading words. */
  private laneSeparator = -1;
  private laneTerminator = -1;
  private laneOpen = false;
  private readonly leadingWords = new Int32Array(8);

  /**
   * With a sink, the typed model is built and handed to it; with none, the reader only
   * counts. `fastLane: false` leaves every segment to the handlers, for tests that hold both
   * ways to the same results.
   */
  constructor(
    sink: ModelSink | null,
    private readonly onDocumentDiagnostic: (diagnostic: Diagnostic) => void = () => undefined,
    private readonly options: { readonly fastLane?: boolean } = {},
  ) {
    this.builder = sink === null ? null : new ModelBuilder(sink, this.scanner);
    this.scanner.splitAll = sink !== null;
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.scanner.push(chunk);
  }

  end(): void {
    this.scanner.end();
    this.ended = true;
    if (this.loop >= Loop.Header) this.closeTransaction('the end of the input');
    if (this.groupOpen) this.closeGroup('the end of the input');
    if (this.interchangeOpen) this.closeInterchange('the end of the input');
  }

  stats(): Era835Stats {
    return {
      bytes: this.bytes,
      interchanges: this.interchanges,
      groups: this.groups,
      transactions: this.transactions,
      claims: this.claims,
      serviceLines: this.serviceLines,
      paidCents: this.totalCents[PAID] as number,
      patientResponsibilityCents: this.totalCents[RESPONSIBILITY] as number,
      warnings: this.warnings,
      errors: this.errors,
    };
  }

  problem(
    code: DiagnosticCode,
    offset: number,
    message: string,
    expected: string,
    found: string | null,
  ): void {
    this.emit({
      severity: severityOf(code),
      code,
      message,
      segment: this.segmentNumber + 1,
      offset,
      segmentId: null,
      element: null,
      expected,
      found: found === null ? null : shorten(found),
    });
  }

  overlong(offset: number): void {
    this.segmentNumber++;
    this.reportAt(
      'MALFORMED_SEGMENT',
      this.segmentNumber,
      offset,
      null,
      null,
      `a segment runs past ${MAX_SEGMENT_BYTES} bytes without a terminator; it is skipped`,
      `a segment terminator within ${MAX_SEGMENT_BYTES} bytes`,
      null,
    );
  }

  segment(s: SegmentScanner, id: number): void {
    this.segmentNumber++;

    // The segments that make up nearly all of a remittance, most frequent first; the others
    // go through a second switch so that this one stays small enough for the engine to inline.
    switch (id) {
      case 0x44544d: // DTM
        this.onDate(s);
        return;
      case 0x434153: // CAS
        this.onAdjustment(s);
        return;
      case 0x414d54: // AMT
        this.onAmount(s);
        return;
      case 0x535643: // SVC
        this.onServiceLine(s);
        return;
      case 0x524546: // REF
        this.onDetail(id, HEADER | CLAIM | LINE);
        return;
      case 0x4e4d31: // NM1
        this.onDetail(id, CLAIM);
        return;
      case 0x434c50: // CLP
        this.onClaim(s);
        return;
      default:
        this.onOtherSegment(s, id);
        return;
    }
  }

  private onOtherSegment(s: SegmentScanner, id: number): void {
    switch (id) {
      case 0x4c51: // LQ
        this.onDetail(id, LINE);
        return;
      case 0x4c58: // LX
        this.onHeaderNumber();
        return;
      case 0x4d4941: // MIA
      case 0x4d4f41: // MOA
        this.onDetail(id, CLAIM);
        return;
      case 0x515459: // QTY
        this.onDetail(id, CLAIM | LINE);
        return;
      case 0x504552: // PER
        this.onDetail(id, HEADER | CLAIM);
        return;
      case 0x545333: // TS3
      case 0x545332: // TS2
        this.onDetail(id, DETAIL);
        return;
      case 0x4e31: // N1
      case 0x4e32: // N2
      case 0x4e33: // N3
      case 0x4e34: // N4
      case 0x435552: // CUR
      case 0x52444d: // RDM
        this.onDetail(id, HEADER);
        return;
      case 0x504c42: // PLB
        this.onProviderAdjustment(s);
        return;
      case 0x425052: // BPR
        this.onPayment(s);
        return;
      case 0x54524e: // TRN
        this.onTrace(s);
        return;
      case 0x5354: // ST
        this.onTransactionStart(s);
        return;
      case 0x5345: // SE
        this.onTransactionEnd(s);
        return;
      case 0x4753: // GS
        this.onGroupStart(s);
        return;
      case 0x4745: // GE
        this.onGroupEnd(s);
        return;
      case 0x495341: // ISA
        this.onInterchangeStart(s);
        return;
      case 0x494541: // IEA
        this.onInterchangeEnd(s);
        return;
      default:
        this.onUnknown(s);
        return;
    }
  }

  // ---- the usual segments straight from the bytes

  /**
   * The segments that make up nearly all of a remittance (DTM, CAS, AMT, SVC, REF, NM1, CLP,
   * LQ) are read here, straight from the bytes, when they are in their usual place and shape;
   * this returns where it stopped, and the scanner cuts the segment there and hands it to
   * {@link segment}. Each `take` method leaves the reader as it was unless it takes the
   * segment, and then does exactly what the handler would have done with it, handing the
   * typed model, when there is one, the elements it recorded on the way. Tests hold both ways
   * to the same model, diagnostics and counts.
   */
  takeSegments(buf: Buffer, base: number, from: number, stop: number): number {
    const scanner = this.scanner;
    const separator = scanner.element;
    const terminator = scanner.terminator;
    if (separator !== this.laneSeparator || terminator !== this.laneTerminator) {
      this.openLane(separator, terminator);
    }
    if (!this.laneOpen) return from;

    const view = scanner.view;
    const words = this.leadingWords;
    const dtm = words[0];
    const cas = words[1];
    const amt = words[2];
    const svc = words[3];
    const clp = words[4];
    const ref = words[5];
    const nm1 = words[6];
    const lq = words[7];
    // The scanner takes the last few segments of `buf`, so that reading one here rarely
    // runs into the end of `buf` (each such read costs the engine a recompilation).
    const last = buf.length - NEAR_THE_END;
    let p = from;
    while (p < stop) {
      const c = buf[p] as number;
      if (c <= 0x20 || c === terminator) {
        p++;
        continue;
      }
      if (p > last) return p;

      const word = view.getInt32(p);
      let next: number;
      if (word === dtm) next = this.takeDate(buf, view, p, separator, terminator);
      else if (word === cas) next = this.takeAdjustment(buf, p, separator, terminator);
      else if (word === amt) next = this.takeAmount(buf, p, separator, terminator);
      else if (word === svc) next = this.takeServiceLine(buf, base, p, separator, terminator);
      else if (word === clp) next = this.takeClaim(buf, base, p, separator, terminator);
      else if (word === ref) next = this.takeDetail(buf, p, terminator, REF, HEADER | CLAIM | LINE);
      else if (word === nm1) next = this.takeDetail(buf, p, terminator, NM1, CLAIM);
      else if (word >> 8 === lq) next = this.takeDetail(buf, p, terminator, LQ, LINE);
      else return p;
      if (next === NOT_TAKEN) return p;
      p = next;
    }
    return p;
  }

  /**
   * Segments are told apart by their first four bytes, identifier and separator read as one
   * word, which is only sound while neither delimiter could be part of an identifier.
   */
  private openLane(separator: number, terminator: number): void {
    this.laneSeparator = separator;
    this.laneTerminator = terminator;
    this.laneOpen =
      this.options.fastLane !== false && !isAlphanumeric(separator) && !isAlphanumeric(terminator);
    const ids = [DTM, CAS, AMT, SVC, CLP, REF, NM1, LQ];
    ids.forEach((id, k) => {
      this.leadingWords[k] = (id << 8) | separator;
    });
  }

  /** A DTM shaped `DTM*472*20240102` with a real date; see {@link onDate}. */
  private takeDate(
    buf: Buffer,
    view: DataView,
    p: number,
    separator: number,
    terminator: number,
  ): number {
    const loop = this.loop;
    if (((1 << loop) & (HEADER | CLAIM | LINE)) === 0) return NOT_TAKEN;
    if (buf[p + 7] !== separator || buf[p + 16] !== terminator) return NOT_TAKEN;
    for (let i = p + 4; i < p + 7; i++) {
      if (buf[i] === separator || buf[i] === terminator) return NOT_TAKEN;
    }
    const date = dateValueAt(view, p + 8);
    if (date === NOT_A_DATE) return NOT_TAKEN;

    this.segmentNumber++;
    this.builder?.date(loop, packed(buf, p + 4, p + 7), date);
    return p + 17;
  }

  /** A segment without amounts in a place that allows it; see {@link onDetail}. */
  private takeDetail(
    buf: Buffer,
    p: number,
    terminator: number,
    id: number,
    allowed: number,
  ): number {
    const loop = this.loop;
    if (((1 << loop) & allowed) === 0) return NOT_TAKEN;
    const builder = this.builder;
    const idEnd = id === LQ ? p + 2 : p + 3;
    let t: number;
    if (builder === null) {
      t = buf.indexOf(terminator, idEnd);
    } else {
      this.recordElement(0, p, idEnd);
      t = this.scanner.splitRest(p, idEnd, idEnd, 1);
    }
    if (t === -1 || t - p > MAX_SEGMENT_BYTES) return NOT_TAKEN;

    this.segmentNumber++;
    builder?.detail(id, loop);
    return t + 1;
  }

  /** An AMT whose AMT02 is its last element and reads as an amount; see {@link onAmount}. */
  private takeAmount(buf: Buffer, p: number, separator: number, terminator: number): number {
    const loop = this.loop;
    if (((1 << loop) & (CLAIM | LINE)) === 0) return NOT_TAKEN;
    const n = buf.length;
    let i = p + 4;
    while (i < n && buf[i] !== separator && buf[i] !== terminator) i++;
    if (buf[i] !== separator) return NOT_TAKEN;
    const cents = this.readCents(buf, i + 1, separator, terminator);
    const t = this.cursor;
    if (cents === NOT_AN_AMOUNT || buf[t] !== terminator || t - p > MAX_SEGMENT_BYTES) {
      return NOT_TAKEN;
    }

    this.segmentNumber++;
    this.builder?.amount(cents, loop, p + 4, i);
    return t + 1;
  }

  /**
   * A CAS of one of the five groups with one or two triplets, each with a reason and an
   * amount that reads; see {@link onAdjustment}. Nothing is added until both have read.
   */
  private takeAdjustment(buf: Buffer, p: number, separator: number, terminator: number): number {
    const loop = this.loop;
    if (((1 << loop) & (CLAIM | LINE)) === 0) return NOT_TAKEN;
    if (buf[p + 6] !== separator) return NOT_TAKEN;
    const group = ((buf[p + 4] as number) << 8) | (buf[p + 5] as number);
    if (group !== CO && group !== PR && group !== OA && group !== PI && group !== CR) {
      return NOT_TAKEN;
    }

    const first = this.readTriplet(buf, p + 6, separator, terminator);
    if (first === NOT_AN_AMOUNT) return NOT_TAKEN;
    const triplet = this.triplet;
    const firstReason = this.reason;
    const firstReasonStart = triplet[0] as number;
    const firstReasonEnd = triplet[1] as number;
    const firstQuantityStart = triplet[2] as number;
    const firstQuantityEnd = triplet[3] as number;
    let t = this.cursor;
    let second = ABSENT;
    let secondReason = 0;
    if (buf[t] !== terminator) {
      second = this.readTriplet(buf, t, separator, terminator);
      t = this.cursor;
      if (second === NOT_AN_AMOUNT || buf[t] !== terminator) return NOT_TAKEN;
      secondReason = this.reason;
    }
    if (t - p > MAX_SEGMENT_BYTES) return NOT_TAKEN;

    this.segmentNumber++;
    const inLine = loop === Loop.Line;
    this.addAdjustment(group, firstReason, first, inLine);
    if (second !== ABSENT) this.addAdjustment(group, secondReason, second, inLine);
    const builder = this.builder;
    if (builder !== null) {
      builder.adjustment(
        group,
        firstReasonStart,
        firstReasonEnd,
        first,
        firstQuantityStart,
        firstQuantityEnd,
        inLine,
      );
      if (second !== ABSENT) {
        builder.adjustment(
          group,
          triplet[0] as number,
          triplet[1] as number,
          second,
          triplet[2] as number,
          triplet[3] as number,
          inLine,
        );
      }
    }
    return t + 1;
  }

  /**
   * A CAS triplet after the separator at `at`: its reason (kept in `reason` when it has one
   * character) and its amount, then its quantity if any; `cursor` ends on the delimiter
   * after it, and `triplet` holds where its reason and its quantity are. NOT_AN_AMOUNT when
   * the reason is empty or padded with spaces, or the amount does not read.
   */
  private readTriplet(buf: Buffer, at: number, separator: number, terminator: number): number {
    const n = buf.length;
    const reason = at + 1;
    let i = reason;
    while (i < n && buf[i] !== separator && buf[i] !== terminator) i++;
    if (i === reason || buf[i] !== separator) return NOT_AN_AMOUNT;
    if (buf[reason] === 0x20 || buf[i - 1] === 0x20) return NOT_AN_AMOUNT;
    const cents = this.readCents(buf, i + 1, separator, terminator);
    if (cents === NOT_AN_AMOUNT) return NOT_AN_AMOUNT;
    this.reason = i - reason === 1 ? (buf[reason] as number) : 0;
    const triplet = this.triplet;
    triplet[0] = reason;
    triplet[1] = i;

    i = this.cursor;
    triplet[2] = i;
    triplet[3] = i;
    if (buf[i] === separator) {
      i++;
      triplet[2] = i;
      while (i < n && buf[i] !== separator && buf[i] !== terminator) i++;
      if (i === n) return NOT_AN_AMOUNT;
      this.cursor = i;
      triplet[3] = i;
    }
    return cents;
  }

  /**
   * An SVC whose SVC01 holds the declared component separator and whose SVC02 and SVC03 read
   * as amounts; see {@link onServiceLine}.
   */
  private takeServiceLine(
    buf: Buffer,
    base: number,
    p: number,
    separator: number,
    terminator: number,
  ): number {
    const loop = this.loop;
    if (((1 << loop) & (CLAIM | LINE)) === 0) return NOT_TAKEN;
    const n = buf.length;
    const component = this.scanner.component;
    let split = -1;
    let i = p + 4;
    for (; i < n; i++) {
      const c = buf[i];
      if (c === separator || c === terminator) break;
      if (c === component && split === -1) split = i;
    }
    if (split === -1 || buf[i] !== separator) return NOT_TAKEN;
    // A qualifier or a code that is empty or starts with a space is left to the handler,
    // which reports the blank ones.
    const code = buf[split + 1];
    if (buf[p + 4] === component || buf[p + 4] === 0x20) return NOT_TAKEN;
    if (code === component || code === separator || code === 0x20) return NOT_TAKEN;
    const chargeAt = i + 1;
    const charge = this.readCents(buf, chargeAt, separator, terminator);
    const chargeEnd = this.cursor;
    if (charge === NOT_AN_AMOUNT || buf[chargeEnd] !== separator) return NOT_TAKEN;
    const paid = this.readCents(buf, chargeEnd + 1, separator, terminator);
    if (paid === NOT_AN_AMOUNT) return NOT_TAKEN;
    const builder = this.builder;
    let t: number;
    if (builder === null) {
      t = terminatorAt(buf, this.cursor, terminator);
    } else {
      this.recordElement(0, p, p + 3);
      this.recordElement(1, p + 4, i);
      this.recordElement(2, chargeAt, chargeEnd);
      this.recordElement(3, chargeEnd + 1, this.cursor);
      t = this.scanner.splitRest(p, p + 3, this.cursor, 4);
    }
    if (t === -1 || t - p > MAX_SEGMENT_BYTES) return NOT_TAKEN;

    this.segmentNumber++;
    if (loop === Loop.Line) this.finishLine();
    this.startLine(base + p, charge, paid);
    builder?.line(charge, paid, component);
    return t + 1;
  }

  /**
   * A CLP with CLP01 and CLP02, CLP03 and CLP04 that read as amounts and a CLP05 that reads
   * or is left out, where a claim may start; see {@link onClaim}.
   */
  private takeClaim(
    buf: Buffer,
    base: number,
    p: number,
    separator: number,
    terminator: number,
  ): number {
    if (((1 << this.loop) & CLAIM_STARTS) === 0) return NOT_TAKEN;
    const n = buf.length;
    const typed = this.builder !== null;
    if (typed) this.recordElement(0, p, p + 3);
    let i = p + 3;
    for (let k = 1; k <= 2; k++) {
      const start = i + 1;
      i = start;
      while (i < n && buf[i] !== separator && buf[i] !== terminator) i++;
      // Spaces around a code are left to the handler, which reads them as it reads blanks.
      if (i === start || buf[i] !== separator || buf[start] === 0x20) return NOT_TAKEN;
      if (typed) this.recordElement(k, start, i);
    }
    const chargeAt = i + 1;
    const charge = this.readCents(buf, chargeAt, separator, terminator);
    const chargeEnd = this.cursor;
    if (charge === NOT_AN_AMOUNT || buf[chargeEnd] !== separator) return NOT_TAKEN;
    const paid = this.readCents(buf, chargeEnd + 1, separator, terminator);
    if (paid === NOT_AN_AMOUNT) return NOT_TAKEN;
    const paidEnd = this.cursor;
    let declared = ABSENT;
    i = paidEnd;
    if (buf[i] === separator && buf[i + 1] !== separator && buf[i + 1] !== terminator) {
      declared = this.readCents(buf, i + 1, separator, terminator);
      if (declared === NOT_AN_AMOUNT) return NOT_TAKEN;
      i = this.cursor;
    }
    let t: number;
    if (typed) {
      this.recordElement(3, chargeAt, chargeEnd);
      this.recordElement(4, chargeEnd + 1, paidEnd);
      t = this.scanner.splitRest(p, p + 3, paidEnd, 5);
    } else {
      t = terminatorAt(buf, i, terminator);
    }
    if (t === -1 || t - p > MAX_SEGMENT_BYTES) return NOT_TAKEN;

    this.segmentNumber++;
    this.finishClaim();
    this.startClaim(base + p, charge, paid, declared);
    this.builder?.claim(
      this.segmentNumber,
      base + p,
      charge,
      paid,
      declared === ABSENT ? null : declared,
    );
    return t + 1;
  }

  /** Records bytes [start, end) as element k of the segment being taken. */
  private recordElement(k: number, start: number, end: number): void {
    this.starts[k] = start;
    this.ends[k] = end;
  }

  /**
   * An amount from `start` to the next separator or terminator, read as {@link parseCents}
   * reads its usual shape (at most two decimals and thirteen digits); NOT_AN_AMOUNT for
   * anything else, which the handlers then read in full. Leaves `cursor` on the delimiter.
   */
  private readCents(buf: Buffer, start: number, separator: number, terminator: number): number {
    const n = buf.length;
    let i = start;
    const negative = buf[i] === 0x2d;
    if (negative) i++;
    const digitsStart = i;
    let whole = 0;
    for (; i < n; i++) {
      const c = buf[i] as number;
      if (c < 0x30 || c > 0x39) break;
      whole = whole * 10 + (c - 0x30);
    }
    let digits = i - digitsStart;
    let cents = whole * 100;
    if (buf[i] === 0x2e) {
      i++;
      const fractionStart = i;
      let fraction = 0;
      for (; i < n; i++) {
        const c = buf[i] as number;
        if (c < 0x30 || c > 0x39) break;
        fraction = fraction * 10 + (c - 0x30);
      }
      const fractionDigits = i - fractionStart;
      if (fractionDigits > 2) return NOT_AN_AMOUNT;
      digits += fractionDigits;
      cents += fractionDigits === 1 ? fraction * 10 : fraction;
    }
    const delimiter = buf[i];
    if (digits === 0 || digits > 13 || (delimiter !== separator && delimiter !== terminator)) {
      return NOT_AN_AMOUNT;
    }
    this.cursor = i;
    // Negated on every call, so that the first negative amount finds the engine prepared.
    const negated = 0 - cents;
    return negative ? negated : cents;
  }

  // ---- envelopes

  private onInterchangeStart(s: SegmentScanner): void {
    if (this.loop >= Loop.Header) this.closeTransaction('a new ISA');
    if (this.groupOpen) this.closeGroup('a new ISA');
    if (this.interchangeOpen) this.closeInterchange('a new ISA');

    s.split();
    this.interchangeControl = s.elementText(13) ?? '';
    this.interchangeOpen = true;
    this.groupsInInterchange = 0;
    this.interchanges++;
    this.loop = Loop.Interchange;
    this.straying = false;
    this.builder?.interchange(this.segmentNumber, s.offset);
  }

  private onInterchangeEnd(s: SegmentScanner): void {
    if (this.loop >= Loop.Header) this.closeTransaction('IEA');
    if (this.groupOpen) this.closeGroup('IEA');
    if (!this.interchangeOpen) {
      this.stray(s, 'IEA without its ISA');
      return;
    }

    s.split();
    this.checkCount(s, 1, this.groupsInInterchange, 'GROUP_COUNT_MISMATCH', 'functional groups');
    this.checkControl(s, 2, this.interchangeControl, 'ISA13', true);
    this.interchangeOpen = false;
    this.loop = Loop.Outside;
    this.straying = false;
    this.builder?.endInterchange();
  }

  private onGroupStart(s: SegmentScanner): void {
    if (this.loop >= Loop.Header) this.closeTransaction('GS');
    if (this.groupOpen) this.closeGroup('GS');
    if (!this.interchangeOpen) {
      this.report(
        'MISSING_SEGMENT',
        null,
        'a GS outside any interchange; expected an ISA first',
        'ISA',
      );
    }

    s.split();
    this.groupControl = s.elementText(6) ?? '';
    this.checkDate(s, 4);
    this.groupOpen = true;
    this.transactionsInGroup = 0;
    this.groupsInInterchange++;
    this.groups++;
    this.loop = Loop.Group;
    this.straying = false;
    this.builder?.group(this.segmentNumber, s.offset);
  }

  private onGroupEnd(s: SegmentScanner): void {
    if (this.loop >= Loop.Header) this.closeTransaction('GE');
    if (!this.groupOpen) {
      this.stray(s, 'GE without its GS');
      return;
    }

    s.split();
    this.checkCount(
      s,
      1,
      this.transactionsInGroup,
      'TRANSACTION_COUNT_MISMATCH',
      'transaction sets',
    );
    this.checkControl(s, 2, this.groupControl, 'GS06', true);
    this.groupOpen = false;
    this.loop = this.interchangeOpen ? Loop.Interchange : Loop.Outside;
    this.straying = false;
    this.builder?.endGroup();
  }

  private onTransactionStart(s: SegmentScanner): void {
    if (this.loop >= Loop.Header) this.closeTransaction('a new ST');
    if (this.interchangeOpen && !this.groupOpen) {
      this.report(
        'MISSING_SEGMENT',
        null,
        'an ST outside any functional group; expected a GS first',
        'GS',
      );
    }

    s.split();
    this.transactionsInGroup++;
    this.transactionSegment = this.segmentNumber;
    this.transactionControl = s.elementText(2) ?? '';
    this.straying = false;
    const code = s.elementText(1);
    if (code !== '835') {
      this.report(
        'NOT_AN_835',
        'ST01',
        `transaction set ${code ?? '(none)'} is not an 835; it is skipped up to its SE`,
        '835',
        code,
      );
      this.loop = Loop.SkippedTransaction;
      return;
    }
    this.transactionOffset = s.offset;
    this.paymentSeen = false;
    this.traceSeen = false;
    this.paymentCents = ABSENT;
    this.paymentDebit = false;
    this.claimsPaidCents = 0;
    this.providerAdjustmentCents = 0;
    this.transactionComplete = true;
    this.loop = Loop.Header;
    this.builder?.transaction(this.segmentNumber, s.offset);
    if (!s.has(2)) this.missing('ST02', 'the transaction set control number');
  }

  private onTransactionEnd(s: SegmentScanner): void {
    if (this.loop < Loop.Header) {
      this.stray(s, 'SE without its ST');
      return;
    }
    if (this.loop === Loop.SkippedTransaction) {
      this.loop = this.afterTransaction();
      return;
    }

    this.finishClaim();
    s.split();
    const segments = this.segmentNumber - this.transactionSegment + 1;
    this.checkCount(s, 1, segments, 'SEGMENT_COUNT_MISMATCH', 'segments');
    this.checkControl(s, 2, this.transactionControl, 'ST02');
    this.finishTransaction();
  }

  private closeTransaction(instead: string): void {
    if (this.loop === Loop.SkippedTransaction) {
      this.reportAt(
        'MISSING_SEGMENT',
        this.segmentNumber,
        this.scanner.offset,
        null,
        null,
        `the skipped transaction set has no SE before ${instead}`,
        'SE',
        null,
      );
      this.loop = this.afterTransaction();
      return;
    }
    this.finishClaim();
    this.report(
      'MISSING_SEGMENT',
      null,
      `expected SE before ${instead}; the transaction set ends here`,
      'SE',
    );
    this.finishTransaction();
  }

  private closeGroup(instead: string): void {
    this.report('MISSING_SEGMENT', null, `expected GE before ${instead}`, 'GE');
    this.groupOpen = false;
    this.builder?.endGroup();
  }

  private closeInterchange(instead: string): void {
    this.report('MISSING_SEGMENT', null, `expected IEA before ${instead}`, 'IEA');
    this.interchangeOpen = false;
    this.loop = Loop.Outside;
    this.builder?.endInterchange();
  }

  private afterTransaction(): Loop {
    if (this.groupOpen) return Loop.Group;
    return this.interchangeOpen ? Loop.Interchange : Loop.Outside;
  }

  private finishTransaction(): void {
    const segment = this.transactionSegment;
    const offset = this.transactionOffset;
    if (!this.paymentSeen) {
      this.reportAt(
        'MISSING_SEGMENT',
        segment,
        offset,
        'ST',
        null,
        'the transaction set has no BPR (payment information)',
        'BPR',
        null,
      );
    }
    if (!this.traceSeen) {
      this.reportAt(
        'MISSING_SEGMENT',
        segment,
        offset,
        'ST',
        null,
        'the transaction set has no TRN (reassociation trace number)',
        'TRN',
        null,
      );
    }
    if (isAmount(this.paymentCents) && this.transactionComplete) {
      const advised = this.paymentDebit ? -this.paymentCents : this.paymentCents;
      const computed = this.claimsPaidCents - this.providerAdjustmentCents;
      if (advised !== computed) {
        this.reportAt(
          'PAYMENT_UNBALANCED',
          this.paymentSegment,
          this.paymentOffset,
          'BPR',
          'BPR02',
          `BPR02 is ${advised} cents${this.paymentDebit ? ' (a debit: BPR03 is D)' : ''} but ` +
            `the claim payments minus the provider adjustments come to ${computed} cents`,
          `${computed} cents`,
          `${advised} cents`,
        );
      }
    }
    this.transactions++;
    this.loop = this.afterTransaction();
    this.builder?.endTransaction();
  }

  // ---- transaction header

  private onPayment(s: SegmentScanner): void {
    if (this.loop !== Loop.Header || this.paymentSeen) {
      this.misplaced(s, 'BPR');
      return;
    }

    s.split();
    this.paymentSeen = true;
    this.paymentSegment = this.segmentNumber;
    this.paymentOffset = s.offset;
    this.paymentCents = this.amount(s, 2);
    if (this.paymentCents === ABSENT) this.missing('BPR02', 'the payment amount');
    if (!isAmount(this.paymentCents)) this.transactionComplete = false;
    const flag = s.elementText(3);
    this.paymentDebit = flag === 'D';
    if (flag !== 'C' && flag !== 'D') {
      // Without the sign of the payment it cannot be balanced against the claims.
      this.transactionComplete = false;
      if (flag === null) {
        this.missing('BPR03', 'the credit or debit flag');
      } else {
        this.report(
          'INVALID_VALUE',
          'BPR03',
          `BPR03 "${shorten(flag)}" is not a credit or debit flag (C or D)`,
          'C or D',
          flag,
        );
      }
    }
    this.checkDate(s, 16);
    this.builder?.payment(isAmount(this.paymentCents) ? this.paymentCents : null);
  }

  private onTrace(s: SegmentScanner): void {
    if (this.loop !== Loop.Header || this.traceSeen) {
      this.misplaced(s, 'TRN');
      return;
    }

    s.split();
    this.traceSeen = true;
    if (!s.has(2)) this.missing('TRN02', 'the check or EFT trace number');
    this.builder?.trace();
  }

  // ---- claims and service lines

  private onHeaderNumber(): void {
    const loop = this.loop;
    if (loop < Loop.Header || loop === Loop.Summary || loop === Loop.SkippedTransaction) {
      this.misplaced(this.scanner, 'LX');
      return;
    }
    this.finishClaim();
    this.loop = Loop.Detail;
    if (this.builder !== null) {
      this.scanner.split();
      this.builder.headerNumber();
    }
  }

  private onClaim(s: SegmentScanner): void {
    const loop = this.loop;
    if (loop < Loop.Header || loop === Loop.SkippedTransaction) {
      this.misplaced(s, 'CLP');
      return;
    }
    this.finishClaim();
    if (loop === Loop.Summary) {
      this.report(
        'UNEXPECTED_SEGMENT',
        null,
        'a claim after the provider adjustments (PLB); it is read all the same',
        'LX, CLP or SE',
      );
    }

    s.split();
    const charge = this.peekAmount(s, 3);
    const paid = this.peekAmount(s, 4);
    const declared = this.peekAmount(s, 5);
    const readable = s.has(1) && s.has(2) && isAmount(charge) && isAmount(paid);
    if (!readable) {
      const skipped = '; the claim is skipped';
      if (!s.has(1)) this.missing('CLP01', 'the patient control number', skipped);
      if (!s.has(2)) this.missing('CLP02', 'the claim status code', skipped);
      this.checkAmount(s, 3, charge, 'the claim charge', skipped);
      this.checkAmount(s, 4, paid, 'the claim payment', skipped);
      this.transactionComplete = false;
      this.loop = Loop.SkippedClaim;
      return;
    }

    this.startClaim(s.offset, charge, paid, isAmount(declared) ? declared : ABSENT);
    this.builder?.claim(
      this.segmentNumber,
      s.offset,
      charge,
      paid,
      isAmount(declared) ? declared : null,
    );
    if (declared === NOT_AN_AMOUNT) this.checkAmount(s, 5, declared, 'the patient responsibility');
  }

  private startClaim(offset: number, charge: number, paid: number, declared: number): void {
    this.claimSegment = this.segmentNumber;
    this.claimOffset = offset;
    this.claimCharge = charge;
    this.claimPaid = paid;
    this.claimDeclared = declared;
    this.claimAdjustments = 0;
    this.claimComplete = true;
    this.responsibility = 0;
    this.deductible = 0;
    this.coinsurance = 0;
    this.copay = 0;
    this.loop = Loop.Claim;
  }

  private finishClaim(): void {
    if (this.loop === Loop.Line) this.finishLine();
    if (this.loop === Loop.SkippedClaim) this.loop = Loop.Detail;
    if (this.loop !== Loop.Claim) return;

    if (this.claimComplete && this.claimCharge - this.claimAdjustments !== this.claimPaid) {
      const computed = this.claimCharge - this.claimAdjustments;
      this.reportAt(
        'CLAIM_UNBALANCED',
        this.claimSegment,
        this.claimOffset,
        'CLP',
        'CLP04',
        `CLP04 is ${this.claimPaid} cents but CLP03 minus the claim's adjustments comes to ` +
          `${computed} cents`,
        `${computed} cents`,
        `${this.claimPaid} cents`,
      );
    }
    if (this.claimDeclared !== ABSENT && this.claimDeclared !== this.responsibility) {
      this.reportAt(
        'PATIENT_RESPONSIBILITY_MISMATCH',
        this.claimSegment,
        this.claimOffset,
        'CLP',
        'CLP05',
        `CLP05 declares ${this.claimDeclared} cents of patient responsibility but the ` +
          `claim's group PR adjustments total ${this.responsibility} cents`,
        `${this.responsibility} cents`,
        `${this.claimDeclared} cents`,
      );
    }

    this.claims++;
    const totals = this.totalCents;
    totals[PAID] = (totals[PAID] as number) + this.claimPaid;
    this.claimsPaidCents += this.claimPaid;
    totals[RESPONSIBILITY] = (totals[RESPONSIBILITY] as number) + this.responsibility;
    this.loop = Loop.Detail;
    this.builder?.endClaim(this.responsibility, this.deductible, this.coinsurance, this.copay);
  }

  private onServiceLine(s: SegmentScanner): void {
    const loop = this.loop;
    if (loop === Loop.SkippedClaim) return;
    if (loop !== Loop.Claim && loop !== Loop.Line) {
      this.misplaced(s, 'SVC');
      return;
    }
    if (loop === Loop.Line) this.finishLine();

    s.split();
    this.startLine(s.offset, this.amount(s, 2), this.amount(s, 3));
    if (this.lineCharge === ABSENT) this.missing('SVC02', 'the line charge');
    if (this.linePaid === ABSENT) this.missing('SVC03', 'the line payment');
    const component = this.procedureSeparator(s);
    this.builder?.line(
      isAmount(this.lineCharge) ? this.lineCharge : null,
      isAmount(this.linePaid) ? this.linePaid : null,
      component,
    );
  }

  private startLine(offset: number, charge: number, paid: number): void {
    this.lineSegment = this.segmentNumber;
    this.lineOffset = offset;
    this.lineCharge = charge;
    this.linePaid = paid;
    this.lineAdjustments = 0;
    this.lineComplete = isAmount(charge) && isAmount(paid);
    this.serviceLines++;
    this.loop = Loop.Line;
  }

  /**
   * The separator that splits SVC01. Some senders write `HC>99213` although ISA16 says `:`;
   * the composite is then split on what they used, with a warning. A file without ISA takes
   * its component separator from the first composite it shows.
   */
  private procedureSeparator(s: SegmentScanner): number {
    if (!s.has(1)) {
      this.missing('SVC01', 'the procedure');
      return s.component;
    }
    const buf = s.buf;
    const start = s.starts[1] as number;
    const end = s.ends[1] as number;
    const declared = s.component;
    for (let i = start; i < end; i++) {
      if (buf[i] === declared) {
        this.checkProcedure(buf, start, i, end, declared);
        return declared;
      }
    }

    // Without ISA16 the first punctuation splits it; against a declared separator only the
    // byte after a two-letter qualifier is taken for another one.
    let split = -1;
    if (declared === -1) {
      split = firstPunctuation(buf, start, end);
    } else if (end - start > 3 && usedSeparator(buf[start + 2] as number) !== -1) {
      split = start + 2;
    }
    const used = split === -1 ? -1 : (buf[split] as number);
    if (used === -1) {
      this.report(
        'MISSING_ELEMENT',
        'SVC01-2',
        'SVC01 has no procedure code after its qualifier',
        'SVC01-2',
      );
      return declared;
    }
    this.checkProcedure(buf, start, split, end, used);
    if (declared === -1) {
      s.component = used;
      return used;
    }
    this.report(
      'COMPONENT_SEPARATOR_MISMATCH',
      'SVC01',
      `SVC01 is split on "${String.fromCharCode(used)}" although ISA16 declares ` +
        `"${String.fromCharCode(declared)}"`,
      String.fromCharCode(declared),
      String.fromCharCode(used),
    );
    return used;
  }

  /**
   * Reports an SVC01 whose qualifier (bytes [start, split)) or procedure code (from `split`
   * to the next component) is blank: the line is kept, but it names no procedure.
   */
  private checkProcedure(
    buf: Buffer,
    start: number,
    split: number,
    end: number,
    separator: number,
  ): void {
    if (isBlankText(buf, start, split)) {
      this.report(
        'MISSING_ELEMENT',
        'SVC01-1',
        'SVC01 has no qualifier before its procedure code',
        'SVC01-1',
      );
    }
    let codeEnd = split + 1;
    while (codeEnd < end && buf[codeEnd] !== separator) codeEnd++;
    if (isBlankText(buf, split + 1, codeEnd)) {
      this.report(
        'MISSING_ELEMENT',
        'SVC01-2',
        'SVC01 has no procedure code after its qualifier',
        'SVC01-2',
      );
    }
  }

  private finishLine(): void {
    const computed = this.lineCharge - this.lineAdjustments;
    if (this.lineComplete && computed !== this.linePaid) {
      this.reportAt(
        'SERVICE_LINE_UNBALANCED',
        this.lineSegment,
        this.lineOffset,
        'SVC',
        'SVC03',
        `SVC03 is ${this.linePaid} cents but SVC02 minus the line's adjustments comes to ` +
          `${computed} cents`,
        `${computed} cents`,
        `${this.linePaid} cents`,
      );
    }
    this.loop = Loop.Claim;
  }

  private onAdjustment(s: SegmentScanner): void {
    const loop = this.loop;
    if (loop === Loop.SkippedClaim) return;
    if (loop !== Loop.Claim && loop !== Loop.Line) {
      this.misplaced(s, 'CAS');
      return;
    }
    const inLine = loop === Loop.Line;

    s.split();
    const group = this.adjustmentGroup(s);
    if (group === 0) {
      const text = s.elementText(1);
      this.report(
        'INVALID_VALUE',
        'CAS01',
        `CAS01 "${shorten(text)}" is not an adjustment group ` +
          '(CO, CR, OA, PI or PR); the segment is ignored',
        'CO, CR, OA, PI or PR',
        text,
      );
      this.incomplete(inLine);
      return;
    }
    if (s.count < 3) this.missing('CAS02', 'an adjustment reason');

    const starts = s.starts;
    const ends = s.ends;
    for (let reason = 2; reason < s.count; reason += 3) {
      const amountAt = reason + 1;
      const hasReason = s.has(reason);
      const hasAmount = s.has(amountAt);
      if (!hasReason && !hasAmount) continue;
      if (!hasReason) {
        this.missing(elementName('CAS', reason), 'the adjustment reason');
        this.incomplete(inLine);
        continue;
      }
      const cents = hasAmount
        ? parseCents(s.buf, starts[amountAt] as number, ends[amountAt] as number)
        : ABSENT;
      if (!isAmount(cents)) {
        if (cents === ABSENT) this.missing(elementName('CAS', amountAt), 'the adjustment amount');
        else this.checkAmount(s, amountAt, cents, '');
        this.incomplete(inLine);
        this.buildAdjustment(s, group, reason, null, inLine);
        continue;
      }
      this.addAdjustment(group, reasonCode(s, reason), cents, inLine);
      this.buildAdjustment(s, group, reason, cents, inLine);
    }
  }

  /** Hands the model the CAS triplet whose reason is element `reason` of the segment. */
  private buildAdjustment(
    s: SegmentScanner,
    group: number,
    reason: number,
    cents: number | null,
    inLine: boolean,
  ): void {
    if (this.builder === null) return;
    const quantity = reason + 2;
    const hasQuantity = quantity < s.count;
    this.builder.adjustment(
      group,
      s.starts[reason] as number,
      s.ends[reason] as number,
      cents,
      hasQuantity ? (s.starts[quantity] as number) : 0,
      hasQuantity ? (s.ends[quantity] as number) : 0,
      inLine,
    );
  }

  /** CAS01 packed as two bytes, or 0 when it is not one of the five group codes. */
  private adjustmentGroup(s: SegmentScanner): number {
    if (s.count < 2) return 0;

    // Spaces around the code are read as every other element's are: as nothing.
    const buf = s.buf;
    let start = s.starts[1] as number;
    let end = s.ends[1] as number;
    while (start < end && buf[start] === 0x20) start++;
    while (end > start && buf[end - 1] === 0x20) end--;
    if (end - start !== 2) return 0;
    const group = ((buf[start] as number) << 8) | (buf[start + 1] as number);
    return group === CO || group === PR || group === OA || group === PI || group === CR ? group : 0;
  }

  /** One CAS amount; `reason` is its one-character reason code, or 0 for any other reason. */
  private addAdjustment(group: number, reason: number, cents: number, inLine: boolean): void {
    if (inLine) this.lineAdjustments += cents;
    this.claimAdjustments += cents;
    if (group !== PR) return;
    this.responsibility += cents;
    if (reason === 0x31) this.deductible += cents;
    else if (reason === 0x32) this.coinsurance += cents;
    else if (reason === 0x33) this.copay += cents;
  }

  private incomplete(inLine: boolean): void {
    this.claimComplete = false;
    if (inLine) this.lineComplete = false;
  }

  private onProviderAdjustment(s: SegmentScanner): void {
    const loop = this.loop;
    if (loop < Loop.Header || loop === Loop.SkippedTransaction) {
      this.misplaced(s, 'PLB');
      return;
    }
    this.finishClaim();
    this.loop = Loop.Summary;

    s.split();
    if (!s.has(1)) this.missing('PLB01', 'the provider identifier');
    if (!s.has(2)) this.missing('PLB02', 'the fiscal period date');
    this.checkDate(s, 2);
    for (let reason = 3; reason < s.count; reason += 2) {
      const amountAt = reason + 1;
      if (!s.has(reason) && !s.has(amountAt)) continue;
      if (!s.has(reason)) {
        this.missing(elementName('PLB', reason), 'the adjustment reason');
        this.transactionComplete = false;
        continue;
      }
      const separator = this.reasonSeparator(s, reason);
      const cents = this.amount(s, amountAt);
      if (!isAmount(cents)) {
        if (cents === ABSENT) this.missing(elementName('PLB', amountAt), 'the adjustment amount');
        this.transactionComplete = false;
        this.builder?.providerAdjustment(reason, null, separator);
        continue;
      }
      this.providerAdjustmentCents += cents;
      this.builder?.providerAdjustment(reason, cents, separator);
    }
  }

  /**
   * The separator that splits a PLB reason composite (reason code, then the provider's
   * reference): ISA16, unless the sender wrote another one after the two-character code,
   * which is then used with a warning, as for SVC01.
   */
  private reasonSeparator(s: SegmentScanner, k: number): number {
    const declared = s.component;
    const start = s.starts[k] as number;
    const end = s.ends[k] as number;
    for (let i = start; i < end; i++) if (s.buf[i] === declared) return declared;

    const used = end - start > 3 ? usedSeparator(s.buf[start + 2] as number) : -1;
    if (used === -1 || declared === -1) return used === -1 ? declared : used;
    this.report(
      'COMPONENT_SEPARATOR_MISMATCH',
      elementName('PLB', k),
      `${elementName('PLB', k)} is split on "${String.fromCharCode(used)}" although ISA16 ` +
        `declares "${String.fromCharCode(declared)}"`,
      String.fromCharCode(declared),
      String.fromCharCode(used),
    );
    return used;
  }

  // ---- dates, amounts and segments whose content only the typed model reads

  private onDate(s: SegmentScanner): void {
    const loop = this.loop;
    if (loop === Loop.SkippedClaim) return;
    if (loop !== Loop.Header && loop !== Loop.Claim && loop !== Loop.Line) {
      this.misplaced(s, 'DTM');
      return;
    }
    const plain = plainDate(s);
    if (plain !== NOT_A_DATE) {
      const p = s.segmentStart;
      this.builder?.date(loop, packed(s.buf, p + 4, p + 7), plain);
      return;
    }

    s.split();
    if (!s.has(2)) this.missing('DTM02', 'the date');
    this.checkDate(s, 2);
    const date = s.has(2)
      ? dateValue(s.buf, s.starts[2] as number, s.ends[2] as number)
      : NOT_A_DATE;
    this.builder?.date(loop, s.code(1), date);
  }

  private onAmount(s: SegmentScanner): void {
    const loop = this.loop;
    if (loop === Loop.SkippedClaim) return;
    if (loop !== Loop.Claim && loop !== Loop.Line) {
      this.misplaced(s, 'AMT');
      return;
    }
    s.split();
    const cents = this.amount(s, 2);
    if (cents === ABSENT) this.missing('AMT02', 'the amount');
    if (isAmount(cents) && this.builder !== null) {
      const hasQualifier = s.count > 1;
      this.builder.amount(
        cents,
        loop,
        hasQualifier ? (s.starts[1] as number) : 0,
        hasQualifier ? (s.ends[1] as number) : 0,
      );
    }
  }

  /** A segment that carries no amounts: its place is checked, its content goes to the model. */
  private onDetail(id: number, allowed: number): void {
    const loop = this.loop;
    if (loop === Loop.SkippedClaim) return;
    if (((1 << loop) & allowed) === 0) {
      this.misplaced(this.scanner, null);
      return;
    }
    if (this.builder === null) return;
    this.scanner.split();
    this.builder.detail(id, loop);
  }

  private onUnknown(s: SegmentScanner): void {
    const name = s.buf.toString('latin1', s.segmentStart, s.idEnd);
    if (this.loop === Loop.SkippedTransaction) return;
    if (this.loop < Loop.Header) {
      this.stray(s, `an unknown segment "${shorten(name)}"`);
      return;
    }
    const known = /^[A-Z][A-Z0-9]{1,2}$/.test(name);
    this.report(
      'UNKNOWN_SEGMENT',
      null,
      known
        ? `${name} is not a segment of the 835; it is ignored`
        : `"${shorten(name)}" is not a segment identifier; the segment is ignored`,
      'an 835 segment',
      name,
    );
  }

  private misplaced(s: SegmentScanner, name: string | null): void {
    const loop = this.loop;
    if (loop === Loop.SkippedTransaction) return;
    const id = name ?? s.buf.toString('latin1', s.segmentStart, s.idEnd);
    if (loop < Loop.Header) {
      this.stray(s, `${id} outside any transaction set`);
      return;
    }
    this.report(
      'UNEXPECTED_SEGMENT',
      null,
      `${id} is not allowed ${PLACE[loop]}; it is ignored`,
      EXPECTED[loop],
    );
  }

  /** A segment outside any transaction set; a run of them is reported once. */
  private stray(s: SegmentScanner, what: string): void {
    if (this.straying) return;
    this.straying = true;
    const expected = this.interchangeOpen ? (this.groupOpen ? 'ST or GE' : 'GS or IEA') : 'ISA';
    const name = s.buf.toString('latin1', s.segmentStart, s.idEnd);
    const known = /^[A-Z][A-Z0-9]{1,2}$/.test(name);
    this.report(
      known ? 'UNEXPECTED_SEGMENT' : 'UNKNOWN_SEGMENT',
      null,
      `${what}; expected ${expected}, skipping to the next envelope segment`,
      expected,
      name,
    );
  }

  // ---- element checks

  /** Element k as cents, ABSENT, or NOT_AN_AMOUNT after reporting why. */
  private amount(s: SegmentScanner, k: number): number {
    const cents = this.peekAmount(s, k);
    if (cents === NOT_AN_AMOUNT) this.checkAmount(s, k, cents, '');
    return cents;
  }

  private peekAmount(s: SegmentScanner, k: number): number {
    if (!s.has(k)) return ABSENT;
    return parseCents(s.buf, s.starts[k] as number, s.ends[k] as number);
  }

  /** Reports an amount that is missing (when `what` names it) or unreadable. */
  private checkAmount(
    s: SegmentScanner,
    k: number,
    cents: number,
    what: string,
    consequence = '',
  ): void {
    const name = elementName(s.buf.toString('latin1', s.segmentStart, s.idEnd), k);
    if (cents === ABSENT && what !== '') this.missing(name, what, consequence);
    if (cents !== NOT_AN_AMOUNT) return;
    const text = s.buf.toString('latin1', s.starts[k] as number, s.ends[k] as number);
    this.report(
      'INVALID_AMOUNT',
      name,
      `${name} "${shorten(text)}" ${describeAmountProblem(text)}; ` +
        `expected an amount such as 120.50${consequence}`,
      'an amount with at most two decimal places',
      text,
    );
  }

  private checkDate(s: SegmentScanner, k: number): void {
    if (!s.has(k)) return;
    const start = s.starts[k] as number;
    const end = s.ends[k] as number;
    if (isDate(s.buf, start, end)) return;
    const text = s.buf.toString('latin1', start, end);
    const name = elementName(s.buf.toString('latin1', s.segmentStart, s.idEnd), k);
    this.report(
      'INVALID_VALUE',
      name,
      `${name} "${shorten(text)}" is not a CCYYMMDD date`,
      'a CCYYMMDD date',
      text,
    );
  }

  private checkCount(
    s: SegmentScanner,
    k: number,
    actual: number,
    code: DiagnosticCode,
    what: string,
  ): void {
    const start = s.starts[k] as number;
    const end = s.ends[k] as number;
    let declared = k < s.count && end > start && end - start < 10 ? 0 : -1;
    for (let i = start; declared >= 0 && i < end; i++) {
      const c = s.buf[i] as number;
      declared = c >= 0x30 && c <= 0x39 ? declared * 10 + c - 0x30 : -1;
    }
    if (declared === actual) return;
    const name = elementName(s.buf.toString('latin1', s.segmentStart, s.idEnd), k);
    const found = s.elementText(k);
    this.report(
      code,
      name,
      `${name} says ${found ?? '(nothing)'} but there are ${actual} ${what}`,
      `${name} = ${actual}`,
      found,
    );
  }

  /**
   * A trailer's control number against its header's. Group and interchange control numbers
   * are numbers (X12 type N0), so `0101` matches `101` there; ST02 and SE02 are text.
   */
  private checkControl(
    s: SegmentScanner,
    k: number,
    opening: string,
    openingName: string,
    numeric = false,
  ): void {
    const found = s.elementText(k) ?? '';
    if (found === opening) return;
    if (numeric && sameNumber(found, opening)) return;
    const name = elementName(s.buf.toString('latin1', s.segmentStart, s.idEnd), k);
    this.report(
      'CONTROL_NUMBER_MISMATCH',
      name,
      `${name} "${shorten(found)}" does not match ${openingName} "${shorten(opening)}"`,
      opening,
      found,
    );
  }

  /** Reports a missing required element; returns false so callers can fold it into a flag. */
  private missing(element: string, what: string, consequence = ''): false {
    this.report(
      'MISSING_ELEMENT',
      element,
      `${element} (${what}) is missing${consequence}`,
      element,
    );
    return false;
  }

  // ---- reporting

  private report(
    code: DiagnosticCode,
    element: string | null,
    text: string,
    expected: string | null,
    found: string | null = null,
  ): void {
    const s = this.scanner;
    if (this.ended) {
      this.reportAt(code, this.segmentNumber + 1, this.bytes, null, element, text, expected, found);
      return;
    }
    const id = s.buf.toString('latin1', s.segmentStart, s.idEnd);
    this.reportAt(code, this.segmentNumber, s.offset, id, element, text, expected, found);
  }

  private reportAt(
    code: DiagnosticCode,
    segment: number,
    offset: number,
    id: string | null,
    element: string | null,
    text: string,
    expected: string | null,
    found: string | null,
  ): void {
    const where =
      id === null
        ? `segment ${segment} at byte ${offset}`
        : `segment ${segment} (${id} at byte ${offset})`;
    this.emit({
      severity: severityOf(code),
      code,
      message: `${where}: ${text}`,
      segment,
      offset,
      segmentId: id,
      element,
      expected,
      found: found === null ? null : shorten(found),
    });
  }

  private emit(diagnostic: Diagnostic): void {
    if (diagnostic.severity === 'error') this.errors++;
    else this.warnings++;
    if (this.builder === null || !this.builder.diagnostic(diagnostic))
      this.onDocumentDiagnostic(diagnostic);
  }
}

const PLACE: Record<Loop, string> = {
  [Loop.Outside]: 'outside an interchange',
  [Loop.Interchange]: 'before GS',
  [Loop.Group]: 'between transaction sets',
  [Loop.Header]: 'in the transaction header',
  [Loop.Detail]: 'between LX and CLP',
  [Loop.Claim]: 'in a claim before its service lines',
  [Loop.Line]: 'in a service line',
  [Loop.SkippedClaim]: 'in a skipped claim',
  [Loop.Summary]: 'after PLB',
  [Loop.SkippedTransaction]: 'in a skipped transaction set',
};

const EXPECTED: Record<Loop, string> = {
  [Loop.Outside]: 'ISA',
  [Loop.Interchange]: 'GS',
  [Loop.Group]: 'ST or GE',
  [Loop.Header]: 'BPR, TRN, REF, DTM, N1, N3, N4, PER, LX or CLP',
  [Loop.Detail]: 'TS3, TS2 or CLP',
  [Loop.Claim]: 'CAS, NM1, MIA, MOA, REF, DTM, PER, AMT, QTY or SVC',
  [Loop.Line]: 'DTM, CAS, REF, AMT, QTY, LQ or SVC',
  [Loop.SkippedClaim]: 'CLP',
  [Loop.Summary]: 'PLB or SE',
  [Loop.SkippedTransaction]: 'SE',
};

/** Whether bytes [start, end) hold nothing but spaces. */
function isBlankText(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0x20) return false;
  return true;
}

/** Where the first byte in [start, end) that could separate a composite is, or -1. */
function firstPunctuation(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) if (usedSeparator(buf[i] as number) !== -1) return i;
  return -1;
}

/** `c` when it could separate the parts of a composite (printable punctuation), else -1. */
function usedSeparator(c: number): number {
  return c > 0x20 && c < 0x7f && !isAlphanumeric(c) ? c : -1;
}

/** Whether two texts are the same number written with or without leading zeros. */
function sameNumber(a: string, b: string): boolean {
  const digits = /^[0-9]+$/;
  if (!digits.test(a) || !digits.test(b)) return false;
  return a.replace(/^0+(?=[0-9])/, '') === b.replace(/^0+(?=[0-9])/, '');
}

function elementName(id: string, k: number): string {
  return `${id}${k < 10 ? '0' : ''}${k}`;
}

function shorten(text: string | null): string {
  if (text === null) return '';
  return text.length > 24 ? `${text.slice(0, 21)}...` : text;
}

/**
 * Fast path: the date of a DTM shaped `DTM*472*20240102` (see {@link dateValue}), which the
 * general path would accept without a word; NOT_A_DATE for any other DTM.
 */
function plainDate(s: SegmentScanner): number {
  const buf = s.buf;
  const p = s.segmentStart;
  const separator = s.element;
  if (s.segmentEnd - p !== 16 || buf[p + 3] !== separator || buf[p + 7] !== separator) {
    return NOT_A_DATE;
  }
  if (buf[p + 4] === separator || buf[p + 5] === separator || buf[p + 6] === separator) {
    return NOT_A_DATE;
  }
  return dateValueAt(s.view, p + 8);
}

/** Bytes [start, end), at most three, packed like a segment identifier. */
function packed(buf: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = (value << 8) | (buf[i] as number);
  return value;
}

/** The CAS reason at element `k` when it is one character, spaces aside, else 0. */
function reasonCode(s: SegmentScanner, k: number): number {
  const buf = s.buf;
  let start = s.starts[k] as number;
  let end = s.ends[k] as number;
  while (start < end && buf[start] === 0x20) start++;
  while (end > start && buf[end - 1] === 0x20) end--;
  return end - start === 1 ? (buf[start] as number) : 0;
}

/**
 * The first terminator at or after `from`, or -1: the last few elements of a segment are
 * short, so the bytes nearby are looked at before the native search is called.
 */
function terminatorAt(buf: Buffer, from: number, terminator: number): number {
  const near = Math.min(from + 8, buf.length);
  for (let i = from; i < near; i++) if (buf[i] === terminator) return i;
  return buf.indexOf(terminator, near);
}
