import { isAscii } from 'node:buffer';
import { isEightDigitsAt } from './date';
import type { DiagnosticCode } from './diagnostics';
import { DTM, ISA } from './segments';

/** Elements beyond this many in one segment are ignored; the longest 835 segment has 24. */
const MAX_ELEMENTS = 64;

/** A segment longer than this is damage, not data; it is skipped up to its terminator. */
export const MAX_SEGMENT_BYTES = 65_536;

/** An ISA, fixed at 106 bytes by the standard, is searched for its sixteen separators this far. */
const MAX_ISA_BYTES = 1_024;
/** How much of an input that is not X12 its diagnostic quotes. */
const NOT_X12_SAMPLE_BYTES = 16;

/** How much of a new chunk is first joined to the carried start of a segment. */
const JOIN_WINDOW_BYTES = 4_096;

/** Every two-character ASCII text made so far, by its two bytes (see `SegmentScanner.decode`). */
const TWO_CHARACTER_TEXTS: (string | undefined)[] = new Array(1 << 14).fill(undefined);

/** From this length V8 makes a slice of a string a view into it rather than a copy. */
const OWN_TEXT_LENGTH = 13;

const NEED_MORE = -1;
const BROKEN = -2;

const ISA_BYTES = Buffer.from('ISA', 'latin1');
const ST_BYTES = Buffer.from('ST', 'latin1');
const BPR_BYTES = Buffer.from('BPR', 'latin1');

export interface ScanListener {
  /** A complete segment is in `buf[segmentStart, segmentEnd)`; `id` packs its identifier. */
  segment(scanner: SegmentScanner, id: number): void;
  /** A problem the scanner found, with what it expected there and what it found, if said. */
  problem(
    code: DiagnosticCode,
    offset: number,
    message: string,
    expected: string,
    found: string | null,
  ): void;
  /**
   * A segment at stream offset `offset` that runs past {@link MAX_SEGMENT_BYTES} without a
   * terminator. It is skipped, up to its terminator when one comes, and counts as a segment.
   */
  overlong(offset: number): void;
  /**
   * Offered `buf` from `from` on, before the scanner cuts it: takes what segments it can
   * straight from the bytes, `segment` unseen, and returns where it stopped. `base` is the
   * stream offset of `buf[0]`. A segment it takes whose elements it needs is recorded with
   * {@link SegmentScanner.splitRest}.
   */
  takeSegments(buf: Buffer, base: number, from: number, stop: number): number;
}

export function isAlphanumeric(c: number | undefined): boolean {
  return (
    c !== undefined && ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a))
  );
}

/** Space and control characters (CR, LF, tab, a DOS end-of-file mark) between segments. */
function isBlank(c: number | undefined): boolean {
  return c !== undefined && c <= 0x20;
}

/**
 * Cuts a byte stream into X12 segments without decoding it. Delimiters come from each ISA
 * (element separator at its 4th byte, component separator in ISA16, terminator right after
 * it), or from the ST when a file has no envelope. Blank bytes between a terminator and the
 * next segment identifier are skipped. A segment cut by a chunk boundary is carried over and
 * joined with the next chunk, so the segments seen never depend on how the input was cut.
 */
export class SegmentScanner {
  /** The buffer holding the current segment, and the stream offset of its first byte. */
  buf: Buffer = Buffer.alloc(0);
  /** `buf` read a word at a time. */
  view = new DataView(this.buf.buffer, this.buf.byteOffset, 0);
  base = 0;
  segmentStart = 0;
  segmentEnd = 0;
  /** Where the identifier ends: the first element separator or the segment end. */
  idEnd = 0;

  /** Delimiter bytes; -1 while unknown. A file without ISA has no known component separator. */
  element = -1;
  component = -1;
  repetition = -1;
  terminator = -1;

  /**
   * Element k of the current segment is `buf[starts[k], ends[k])`; element 0 is the id.
   * `count` is 0 until the segment is split.
   */
  readonly starts = new Int32Array(MAX_ELEMENTS);
  readonly ends = new Int32Array(MAX_ELEMENTS);
  count = 0;

  /**
   * Whether a segment the listener leaves ({@link ScanListener.takeSegments}) is split into
   * elements while its end is searched, as the typed model reads nearly all of them;
   * otherwise it is split only on demand. Dates are never split ahead: nearly all have one
   * fixed shape that is read in place.
   */
  splitAll = false;

  private decoded: string | null = null;
  private ascii = true;

  private carry: Buffer | null = null;
  private carryBase = 0;
  private streamOffset = 0;
  private started = false;
  /** Searching for the next ISA after input that could not be read as X12. */
  private lost = false;
  /** Skipping the rest of an overlong segment. */
  private discarding = false;
  /** Reading what the input left at its end: no more bytes will come. */
  private ending = false;

  constructor(private readonly listener: ScanListener) {}

  push(chunk: Buffer): void {
    const chunkBase = this.streamOffset;
    this.streamOffset += chunk.length;
    if (chunk.length === 0) return;

    let from = 0;
    const carry = this.carry;
    if (carry !== null) {
      // Join the carried bytes with just enough of the chunk to finish the segment they start:
      // a short window first, the longest allowed segment if that is not enough. A scan that
      // stops inside the carry has read nothing, so it can be repeated.
      let window = Math.min(chunk.length, JOIN_WINDOW_BYTES);
      for (;;) {
        const joined = Buffer.concat([carry, chunk.subarray(0, window)]);
        const stop = this.scan(joined, this.carryBase, 0, carry.length);
        if (stop >= carry.length) {
          from = stop - carry.length;
          break;
        }
        if (window === chunk.length) {
          this.keep(joined, this.carryBase, stop);
          return;
        }
        window = Math.min(chunk.length, MAX_SEGMENT_BYTES + 1);
      }
      this.carry = null;
    }

    const stop = this.scan(chunk, chunkBase, from, chunk.length);
    if (stop < chunk.length) this.keep(chunk, chunkBase, stop);
  }

  /** Reads what the last chunk left: a final segment without terminator, or nothing. */
  end(): void {
    const carry = this.carry;
    this.carry = null;
    if (carry !== null && !this.lost && !this.discarding) this.finishUnterminated(carry);
    if (!this.started) {
      this.listener.problem(
        'NOT_X12',
        this.streamOffset,
        'the input holds no X12 data',
        'an ISA or ST segment',
        null,
      );
    }
  }

  /** Splits the current segment into elements, unless that was done while finding its end. */
  split(): void {
    if (this.count > 0) return;
    const buf = this.buf;
    const separator = this.element;
    const end = this.segmentEnd;
    const starts = this.starts;
    const ends = this.ends;
    starts[0] = this.segmentStart;
    ends[0] = this.idEnd;
    let k = 0;
    let i = this.idEnd;
    while (i < end && k < MAX_ELEMENTS - 1) {
      k++;
      i++;
      starts[k] = i;
      while (i < end && buf[i] !== separator) i++;
      ends[k] = i;
    }
    this.count = k + 1;
  }

  /** Whether element k is present and not empty. */
  /** Whether element k is present and holds more than spaces: a blank element is absent. */
  has(k: number): boolean {
    if (k >= this.count) return false;
    const buf = this.buf;
    const end = this.ends[k] as number;
    for (let i = this.starts[k] as number; i < end; i++) if (buf[i] !== 0x20) return true;
    return false;
  }

  /** Element k packed like a segment identifier when it has one to three bytes, else -1. */
  code(k: number): number {
    if (k >= this.count) return -1;
    const start = this.starts[k] as number;
    const length = (this.ends[k] as number) - start;
    const buf = this.buf;
    if (length === 3)
      return (
        ((buf[start] as number) << 16) |
        ((buf[start + 1] as number) << 8) |
        (buf[start + 2] as number)
      );
    if (length === 2) return ((buf[start] as number) << 8) | (buf[start + 1] as number);
    return length === 1 ? (buf[start] as number) : -1;
  }

  /** Element k as text without surrounding spaces, or null when absent or blank. */
  text(k: number): string | null {
    if (k >= this.count) return null;
    const buf = this.buf;
    let a = this.starts[k] as number;
    let b = this.ends[k] as number;
    while (a < b && buf[a] === 0x20) a++;
    while (b > a && buf[b - 1] === 0x20) b--;
    if (a === b) return null;
    return this.decode(a, b);
  }

  /**
   * Element k like {@link text}, decoded on its own: for the few envelope elements the
   * reader compares, so that counting never pays for decoding whole chunks.
   */
  elementText(k: number): string | null {
    if (k >= this.count) return null;
    const text = this.buf.toString('latin1', this.starts[k] as number, this.ends[k] as number);
    const trimmed = text.trim();
    return trimmed === '' ? null : trimmed;
  }

  /**
   * Bytes [a, b) of the current buffer as text: ASCII from one decoded copy, else UTF-8.
   * Two-character codes (qualifiers, groups, reasons, modifiers) are made once and shared.
   */
  decode(a: number, b: number): string {
    const buf = this.buf;
    if (b - a === 2) {
      const first = buf[a] as number;
      const second = buf[a + 1] as number;
      if (first < 0x80 && second < 0x80) {
        const key = (first << 7) | second;
        const known = TWO_CHARACTER_TEXTS[key];
        if (known !== undefined) return known;
        const made = String.fromCharCode(first, second);
        TWO_CHARACTER_TEXTS[key] = made;
        return made;
      }
    }
    // A slice of 13 characters or more is kept by V8 as a view into the decoded chunk, which
    // would keep the whole chunk alive for as long as a host keeps the text (a stored payer
    // claim control number kept every chunk of a file). Such texts are decoded on their own;
    // UTF-8 reads ASCII as it is.
    if (b - a >= OWN_TEXT_LENGTH) return buf.toString('utf8', a, b);
    if (this.decoded === null) {
      this.decoded = buf.toString('latin1');
      this.ascii = isAscii(buf);
    }
    if (!this.ascii) {
      for (let i = a; i < b; i++) {
        if ((buf[i] as number) >= 0x80) return buf.toString('utf8', a, b);
      }
    }
    return this.decoded.slice(a, b);
  }

  /** Stream offset of the current segment. */
  get offset(): number {
    return this.base + this.segmentStart;
  }

  private keep(buf: Buffer, base: number, from: number): void {
    this.carry = Buffer.from(buf.subarray(from));
    this.carryBase = base + from;
  }

  /**
   * Reads segments that start before `stop`; returns where reading stopped: at or after
   * `stop`, or at the start of a segment that is not complete in `buf`.
   */
  private scan(buf: Buffer, base: number, from: number, stop: number): number {
    const n = buf.length;
    let p = from;
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    this.base = base;
    this.decoded = null;
    while (p < stop) {
      if (this.started && !this.lost && !this.discarding && this.terminator !== -1) {
        p = this.listener.takeSegments(buf, base, p, stop);
        if (p >= stop) break;
        if (this.splitAll) {
          const next = this.plainSegment(buf, p);
          if (next !== NEED_MORE) {
            p = next;
            continue;
          }
        }
      }
      if (this.discarding) {
        const t = buf.indexOf(this.terminator, p);
        if (t === -1) return n;
        this.discarding = false;
        p = t + 1;
        continue;
      }

      const c = buf[p] as number;
      if (c <= 0x20 || c === this.terminator) {
        p++;
        continue;
      }
      // A byte-order mark may start the input, or a file appended to another.
      if (c === 0xef) {
        if (p + 2 >= n) return p;
        if (buf[p + 1] === 0xbb && buf[p + 2] === 0xbf) {
          p += 3;
          continue;
        }
      }

      if (this.lost) {
        const candidate = buf.indexOf(ISA_BYTES, p);
        if (candidate === -1) return Math.max(p, n - 2);
        p = candidate;
      }
      if (buf[p] === 0x49 && buf[p + 1] === 0x53 && buf[p + 2] === 0x41) {
        if (p + 3 >= n) return p;
        if (!isAlphanumeric(buf[p + 3])) {
          const next = this.interchange(buf, base, p);
          if (next === NEED_MORE) return p;
          p = next;
          continue;
        }
      }
      if (this.lost) {
        p += 3;
        continue;
      }

      if (this.terminator === -1) {
        const next = this.headless(buf, base, p);
        if (next === NEED_MORE) return p;
        if (next === BROKEN) continue;
      }

      const next = this.segmentAt(buf, base, p);
      if (next === NEED_MORE) return p;
      p = next;
    }
    return p;
  }

  /**
   * Cuts the segment at `p` and splits it into elements while searching its end, when it is
   * an ordinary one: a two- or three-character identifier other than ISA, complete in `buf`,
   * within the length limit and the element limit. Returns where the next segment may start,
   * or NEED_MORE for anything else (blanks too), which {@link scan} then takes the general
   * way, one step at a time.
   */
  private plainSegment(buf: Buffer, p: number): number {
    const n = buf.length;
    const separator = this.element;
    const terminator = this.terminator;
    const c = buf[p] as number;
    if (c <= 0x20 || c === terminator || p + 3 >= n) return NEED_MORE;

    const second = buf[p + 1] as number;
    const third = buf[p + 2] as number;
    let id: number;
    let idEnd: number;
    if (second === separator || second === terminator) return NEED_MORE;
    if (third === separator || third === terminator) {
      id = (c << 8) | second;
      idEnd = p + 2;
    } else {
      const fourth = buf[p + 3];
      if (fourth !== separator && fourth !== terminator) return NEED_MORE;
      id = (c << 16) | (second << 8) | third;
      if (id === ISA) return NEED_MORE;
      idEnd = p + 3;
    }

    let t: number;
    if (id === DTM && hasDateShape(buf, this.view, p, separator, terminator)) {
      t = p + 16;
      this.segmentStart = p;
      this.idEnd = idEnd;
      this.count = 0;
      this.segmentEnd = t;
    } else {
      this.starts[0] = p;
      this.ends[0] = idEnd;
      t = this.splitRest(p, idEnd, idEnd, 1);
      if (t === -1) return NEED_MORE;
    }
    if (t - p > MAX_SEGMENT_BYTES) return NEED_MORE;

    this.listener.segment(this, id);
    return t + 1;
  }

  /**
   * Records the elements of the segment at `start` from element `k` on, those before it being
   * recorded already: `at` is the delimiter that ends element k - 1, and each element runs to
   * the next separator, up to the terminator. Makes it the current segment and returns where
   * its terminator is, or -1 when `buf` ends first or the segment passes the element limit.
   */
  splitRest(start: number, idEnd: number, at: number, k: number): number {
    const buf = this.buf;
    const n = buf.length;
    const separator = this.element;
    const terminator = this.terminator;
    const starts = this.starts;
    const ends = this.ends;
    let count = k;
    let i = at;
    while (i < n && buf[i] !== terminator) {
      if (count === MAX_ELEMENTS - 1) return -1;
      i++;
      starts[count] = i;
      while (i < n) {
        const byte = buf[i];
        if (byte === separator || byte === terminator) break;
        i++;
      }
      ends[count] = i;
      count++;
    }
    if (i >= n) return -1;

    this.segmentStart = start;
    this.idEnd = idEnd;
    this.count = count;
    this.segmentEnd = i;
    // A file whose terminator is LF may still end its lines with CR.
    if (terminator === 0x0a && buf[i - 1] === 0x0d) {
      this.segmentEnd = i - 1;
      if ((ends[count - 1] as number) === i) ends[count - 1] = i - 1;
    }
    return i;
  }

  /** Reads the segment starting at `p`; returns where the next one may start, or NEED_MORE. */
  private segmentAt(buf: Buffer, base: number, p: number): number {
    const n = buf.length;
    const separator = this.element;
    const terminator = this.terminator;

    // Identifiers have two or three characters; anything else gets id 0 and its full length.
    if (p + 3 >= n) return n - p > MAX_SEGMENT_BYTES ? this.overlong(buf, base, p, -1) : NEED_MORE;
    let id = 0;
    let idEnd = p + 3;
    const third = buf[p + 2];
    if (third === separator || third === terminator) {
      id = ((buf[p] as number) << 8) | (buf[p + 1] as number);
      idEnd = p + 2;
    } else if (buf[p + 3] === separator || buf[p + 3] === terminator) {
      id = ((buf[p] as number) << 16) | ((buf[p + 1] as number) << 8) | (third as number);
    } else {
      while (idEnd < n && buf[idEnd] !== separator && buf[idEnd] !== terminator) idEnd++;
      if (idEnd === n)
        return n - p > MAX_SEGMENT_BYTES ? this.overlong(buf, base, p, -1) : NEED_MORE;
    }
    if (buf[p + 1] === separator || buf[p + 1] === terminator) {
      id = 0;
      idEnd = p + 1;
    }

    const t =
      id === DTM && hasDateShape(buf, this.view, p, separator, terminator)
        ? p + 16
        : buf.indexOf(terminator, idEnd);
    if (t === -1) return n - p > MAX_SEGMENT_BYTES ? this.overlong(buf, base, p, -1) : NEED_MORE;
    if (t - p > MAX_SEGMENT_BYTES) return this.overlong(buf, base, p, t);

    // Bytes that are no segment (a MIME boundary, a line of text) before the ISA of a file
    // appended to another would take that ISA with them up to its terminator: they end where
    // the ISA starts.
    const interchange = id === 0 ? interchangeWithin(buf, p + 1, t) : -1;
    if (interchange !== -1) {
      let end = interchange;
      while (end > p && isBlank(buf[end - 1])) end--;
      this.segmentStart = p;
      this.idEnd = Math.min(idEnd, end);
      this.segmentEnd = end;
      this.count = 0;
      this.listener.segment(this, 0);
      return interchange;
    }

    this.segmentStart = p;
    this.idEnd = idEnd;
    this.count = 0;
    // A file whose terminator is LF may still end its lines with CR.
    this.segmentEnd = terminator === 0x0a && buf[t - 1] === 0x0d ? t - 1 : t;
    if (this.splitAll && id !== DTM) this.split();
    this.listener.segment(this, id);
    return t + 1;
  }

  /** Skips a segment longer than the limit; `t` is its terminator, or -1 when not yet seen. */
  private overlong(buf: Buffer, base: number, p: number, t: number): number {
    this.listener.overlong(base + p);
    if (t !== -1) return t + 1;
    this.discarding = true;
    return buf.length;
  }

  /** Reads the delimiters of the ISA at `p` and passes it on; returns where to go on. */
  private interchange(buf: Buffer, base: number, p: number): number {
    const found = readInterchangeDelimiters(buf, p);
    if (found === NEED_MORE) return NEED_MORE;

    this.started = true;
    if (found === BROKEN) {
      this.listener.problem(
        'BROKEN_ISA',
        base + p,
        `byte ${base + p}: an ISA whose delimiters cannot be read (sixteen elements, then the ` +
          'component separator and the segment terminator); skipped up to the next ISA',
        'an ISA of sixteen elements, then the component separator and the segment terminator',
        null,
      );
      this.lost = true;
      return p + 3;
    }

    this.lost = false;
    this.element = buf[p + 3] as number;
    this.component = buf[found - 1] as number;
    this.terminator = buf[found] as number;
    this.repetition = readRepetition(buf, p, this.element);
    this.segmentStart = p;
    this.idEnd = p + 3;
    this.segmentEnd = found;
    this.count = 0;
    this.listener.segment(this, ISA);
    return found + 1;
  }

  /**
   * At the start of input without ISA: a GS or an ST sets the element separator (the byte
   * after its identifier) and the segment terminator: the byte before the segment that must
   * follow it (ST after GS, BPR after the ST of an 835), blanks aside, since control numbers
   * may hold any punctuation. Without that segment within reach it is the first byte after
   * the identifier that is neither a letter, a digit nor the separator. Anything else is not
   * X12; the scanner then looks for an ISA.
   */
  private headless(buf: Buffer, base: number, p: number): number {
    const ending = this.ending;
    if (p + 3 >= buf.length && !ending) return NEED_MORE;

    const separator = buf[p + 2] as number;
    const first = buf[p];
    const second = buf[p + 1];
    const group = first === 0x47 && second === 0x53;
    const transaction = first === 0x53 && second === 0x54;
    if ((group || transaction) && !isAlphanumeric(separator) && !isBlank(separator)) {
      const limit = Math.min(buf.length, p + MAX_ISA_BYTES);
      const complete = ending || limit - p === MAX_ISA_BYTES;
      let terminator = terminatorBefore(buf, p + 3, limit, group ? ST_BYTES : BPR_BYTES, separator);
      if (terminator === -1 && !complete) return NEED_MORE;
      if (terminator === -1) {
        let i = p + 3;
        while (i < limit && (isAlphanumeric(buf[i]) || buf[i] === separator)) i++;
        if (i < limit) terminator = buf[i] as number;
      }
      if (terminator !== -1) {
        this.started = true;
        this.element = separator;
        this.terminator = terminator;
        this.component = -1;
        this.repetition = -1;
        return p;
      }
    }

    if (!this.started) {
      // The sample quoted is the same however the input is cut: wait for all of it (an input
      // that ends sooner is reported when it ends).
      if (p + NOT_X12_SAMPLE_BYTES > buf.length && !ending) return NEED_MORE;

      this.started = true;
      const sample = buf.toString('latin1', p, p + NOT_X12_SAMPLE_BYTES).replace(/\s+/g, ' ');
      this.listener.problem(
        'NOT_X12',
        base + p,
        `byte ${base + p}: expected an ISA or ST segment, found "${sample}"`,
        'an ISA or ST segment',
        sample,
      );
    }
    this.lost = true;
    return BROKEN;
  }

  /** The input ended without a terminator after its last segment. */
  private finishUnterminated(carry: Buffer): void {
    let end = carry.length;
    while (end > 0 && isBlank(carry[end - 1])) end--;
    let start = 0;
    while (start < end && (isBlank(carry[start]) || carry[start] === this.terminator)) start++;
    if (start === end) return;

    const offset = this.carryBase + start;
    if (this.terminator === -1 && !this.started && isHeadlessStart(carry, start)) {
      // A short input without ISA: its delimiters are read from what there is.
      this.ending = true;
      const stop = this.scan(carry, this.carryBase, start, carry.length);
      this.ending = false;
      if (this.terminator !== -1 && stop < carry.length) {
        this.carryBase += stop;
        this.finishUnterminated(carry.subarray(stop));
      }
      return;
    }
    const inInterchangeHeader = carry.subarray(start, start + 3).equals(ISA_BYTES);
    if (this.terminator === -1 || inInterchangeHeader) {
      this.started = true;
      this.listener.problem(
        this.terminator === -1 ? 'NOT_X12' : 'BROKEN_ISA',
        offset,
        `byte ${offset}: the input ends before its first segment (or an ISA) is complete`,
        this.terminator === -1 ? 'an ISA or ST segment' : 'a complete ISA',
        null,
      );
      return;
    }

    if (this.terminator !== 0x0a && this.terminator !== 0x0d) {
      this.listener.problem(
        'MALFORMED_SEGMENT',
        offset,
        `byte ${offset}: the input ends without a segment terminator; the last segment is ` +
          'read as it is and may be cut short',
        'a segment terminator',
        null,
      );
    }
    const terminated = Buffer.concat([carry.subarray(0, end), Buffer.of(this.terminator)]);
    this.scan(terminated, this.carryBase, start, terminated.length);
  }
}

/**
 * Whether the DTM at `p` has the usual shape `DTM*472*20240102~`, so that its end is known
 * without a search: three-character qualifier, eight digits, then the terminator.
 */
function hasDateShape(
  buf: Buffer,
  view: DataView,
  p: number,
  separator: number,
  terminator: number,
): boolean {
  if (p + 16 >= buf.length) return false;
  if (buf[p + 3] !== separator || buf[p + 7] !== separator || buf[p + 16] !== terminator) {
    return false;
  }
  for (let i = p + 4; i < p + 7; i++) {
    if (buf[i] === terminator || buf[i] === separator) return false;
  }
  return isEightDigitsAt(view, p + 8);
}

/**
 * Finds the end of the ISA at `p`: the index of its segment terminator, NEED_MORE when the
 * buffer ends first, or BROKEN when its delimiters make no sense.
 */
function readInterchangeDelimiters(buf: Buffer, p: number): number {
  const separator = buf[p + 3] as number;
  if (isBlank(separator)) return BROKEN;

  const limit = Math.min(buf.length, p + MAX_ISA_BYTES);
  let separators = 1;
  let i = p + 4;
  for (; i < limit && separators < 16; i++) {
    if (buf[i] === separator) separators++;
  }
  if (separators < 16)
    return limit === buf.length && limit - p < MAX_ISA_BYTES ? NEED_MORE : BROKEN;
  if (i + 1 >= buf.length) return NEED_MORE;

  const component = buf[i] as number;
  const terminator = buf[i + 1] as number;
  const distinct = component !== separator && terminator !== separator && terminator !== component;
  if (!distinct || isAlphanumeric(component) || isBlank(component) || isAlphanumeric(terminator)) {
    return BROKEN;
  }
  return i + 1;
}

/** ISA11 is a repetition separator from version 00402 on; before, it is a standards code. */
function readRepetition(buf: Buffer, p: number, separator: number): number {
  let field = 0;
  let repetitionAt = -1;
  let versionAt = -1;
  for (let i = p + 3; field < 12; i++) {
    if (buf[i] !== separator) continue;
    field++;
    if (field === 11) repetitionAt = i + 1;
    if (field === 12) versionAt = i + 1;
  }

  let version = 0;
  for (let i = versionAt; i < versionAt + 5; i++) {
    const c = buf[i] as number;
    version = version * 10 + (c >= 0x30 && c <= 0x39 ? c - 0x30 : 0);
  }
  const repetition = buf[repetitionAt];
  const single = buf[repetitionAt + 1] === separator;
  if (version < 402 || !single || isAlphanumeric(repetition) || isBlank(repetition)) return -1;
  return repetition as number;
}

/**
 * Where an ISA starts in bytes [from, end): after a blank (or a byte-order mark) and followed
 * by a byte that could be its element separator; -1 when there is none.
 */
function interchangeWithin(buf: Buffer, from: number, end: number): number {
  let at = buf.indexOf(ISA_BYTES, from);
  while (at !== -1 && at + 3 < end) {
    const before = buf[at - 1] as number;
    const after = buf[at + 3];
    if ((isBlank(before) || before === 0xbf) && !isAlphanumeric(after) && !isBlank(after)) {
      return at;
    }
    at = buf.indexOf(ISA_BYTES, at + 1);
  }
  return -1;
}

/**
 * The segment terminator of a segment that starts before `from`, told by the segment `next`
 * that follows it: the byte before `next` and its separator, blanks aside, when that byte
 * could be a terminator, else the line break among those blanks; -1 when `next` is not found
 * before `limit`.
 */
function terminatorBefore(
  buf: Buffer,
  from: number,
  limit: number,
  next: Buffer,
  separator: number,
): number {
  let at = buf.indexOf(next, from);
  while (at !== -1 && at + next.length < limit) {
    if (buf[at + next.length] === separator) {
      let i = at - 1;
      let lineBreak = -1;
      for (; i >= from && isBlank(buf[i]); i--) {
        if (buf[i] === 0x0a || (buf[i] === 0x0d && lineBreak === -1)) lineBreak = buf[i] as number;
      }
      const c = buf[i] as number;
      if (i >= from && c !== separator && !isAlphanumeric(c) && !isBlank(c)) return c;
      // A segment that ends in data and then a line break: the line break is the terminator
      // (LF where lines end in CR LF), and this file's, not that of a file appended to it.
      if (i >= from && lineBreak !== -1) return lineBreak;
    }
    at = buf.indexOf(next, at + 1);
  }
  return -1;
}

/** Whether bytes at `p` start a GS or an ST followed by a possible element separator. */
function isHeadlessStart(buf: Buffer, p: number): boolean {
  const id = buf.toString('latin1', p, p + 2);
  const separator = buf[p + 2];
  return (id === 'GS' || id === 'ST') && !isAlphanumeric(separator) && !isBlank(separator);
}
