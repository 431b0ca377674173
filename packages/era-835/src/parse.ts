import type { ModelSink } from './builder';
import type { Diagnostic } from './diagnostics';
import type { ClaimPayment, Transaction, TransactionHeader } from './model';
import { Era835Reader, type Era835Stats } from './reader';

/**
 * A reader that builds the typed model is fed at most this many bytes at a time. The model
 * cuts its texts from one decoded copy of the bytes being read, and a copy this small dies
 * young; decoding megabyte chunks whole made a typed parse a third slower. Events also wait
 * only for one slice. Counting decodes nothing and takes chunks whole: every cut costs it.
 */
const SLICE_BYTES = 1 << 16;

/**
 * What the parser reads: text, bytes, or any async or sync iterable of chunks (a Node
 * `Readable` is one). Text is read as UTF-8; byte offsets in diagnostics count UTF-8 bytes. A
 * text chunk may end between the two halves (surrogates) of a character: the character is
 * read whole. An input of any other type throws a TypeError, and so does a chunk of any other
 * type once it is reached: that is the caller's mistake, where bad content is only diagnosed.
 */
export type Era835Input =
  | string
  | Uint8Array
  | AsyncIterable<string | Uint8Array>
  | Iterable<string | Uint8Array>;

/**
 * What {@link stream835} yields, in input order: each 835 transaction set once its SE (or
 * whatever ends it) has been read, each problem found outside any transaction set, and with
 * `unit: 'claim'` each claim and each problem of a transaction set outside its claims as soon
 * as it has been read.
 */
export type Era835Event =
  | {
      readonly type: 'claim';
      readonly claim: ClaimPayment;
      readonly transaction: TransactionHeader;
    }
  | { readonly type: 'transaction'; readonly transaction: Transaction }
  | {
      readonly type: 'diagnostic';
      readonly diagnostic: Diagnostic;
      /** With `unit: 'claim'`, the transaction set a problem outside its claims belongs to. */
      readonly transaction?: TransactionHeader;
    };

export interface StreamOptions {
  /**
   * `transaction` (the default): each transaction set arrives whole, its claims included, so
   * memory is bounded by the largest transaction set. `claim`: each claim arrives on its own
   * with the header of its transaction set, each problem of the transaction set outside its
   * claims arrives as a `diagnostic` event with that header as soon as it is found, and the
   * transaction set follows with its provider adjustments but empty `claims` and
   * `diagnostics`, so memory is bounded by the largest claim.
   */
  readonly unit?: 'transaction' | 'claim';
}

export interface Era835Document {
  readonly transactions: readonly Transaction[];
  /** Problems outside any transaction set (envelopes, data that is not X12), in input order. */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * What an {@link Era835Parser} hands over, each as soon as it has been read, in input order.
 * Give `transaction` or `claim` to have the typed model built; with neither, the parser only
 * counts (see {@link Era835Parser.stats}), as `era835 stats` does.
 */
export interface Era835Handlers {
  /**
   * Each transaction set once its SE (or whatever ends it) has been read. With `claim` given,
   * its `claims` and `diagnostics` are empty: they went to `claim` and `diagnostic`.
   */
  readonly transaction?: (transaction: Transaction) => void;
  /**
   * Each claim payment as soon as it has been read, with the header of its transaction set:
   * the object later handed to `transaction`, so what follows the claims (PLB) is not in it
   * yet.
   */
  readonly claim?: (claim: ClaimPayment, transaction: TransactionHeader) => void;
  /**
   * Every problem that no object handed to `transaction` or `claim` carries: those outside
   * any transaction set (no `transaction`), and with `claim` given those of a transaction set
   * outside its claims (with its header). When only counting, every problem comes here.
   */
  readonly diagnostic?: (diagnostic: Diagnostic, transaction?: TransactionHeader) => void;
}

/**
 * A push parser: hand it chunks as they come (`push`), then `end` it. Handlers run during
 * `push` and `end`, synchronously, so a host that reads its input synchronously (a file, a
 * buffer) pays nothing per claim for promises; {@link stream835} is the same parser behind an
 * async iterator. Memory stays bounded by the largest claim (with `claim`) or transaction set.
 * The handlers see the same values however the input is cut into chunks. A handler that
 * throws stops the parser where it was: the exception leaves `push` or `end`, and every later
 * call throws, since part of the input was never read.
 */
export class Era835Parser {
  private readonly reader: Era835Reader;
  private readonly typed: boolean;
  private readonly text = new Utf8Chunks();
  private ended = false;
  private broken = false;

  /** Throws a TypeError when `handlers` is not an object of functions. */
  constructor(handlers: Era835Handlers = {}) {
    checkHandlers(handlers);

    this.reader = readerFor(handlers, {});
    this.typed = handlers.transaction !== undefined || handlers.claim !== undefined;
  }

  /**
   * Reads a chunk: text is read as UTF-8, a character cut between two text chunks whole.
   * Throws once the parser has ended, and a TypeError for a chunk that is neither text nor
   * bytes.
   */
  push(chunk: string | Uint8Array): void {
    this.checkUsable();
    if (this.ended) throw new Error('Era835Parser: push() after end()');
    if (!isChunk(chunk)) throw wrongType('Era835Parser.push chunk', CHUNK_KINDS, chunk);

    this.read(this.text.encode(chunk));
  }

  /** Reads what the input left unfinished and closes what is open; returns the totals. */
  end(): Era835Stats {
    this.checkUsable();
    if (!this.ended) {
      this.ended = true;
      const rest = this.text.end();
      this.guarded(() => {
        if (rest !== null) this.read(rest);
        this.reader.end();
      });
    }
    return this.reader.stats();
  }

  /** Totals of what has been read so far, as `era835 stats` prints them at the end. */
  stats(): Era835Stats {
    return this.reader.stats();
  }

  private read(bytes: Buffer): void {
    this.guarded(() => {
      if (this.typed) feed(this.reader, bytes);
      else this.reader.push(bytes);
    });
  }

  /** Runs `step`; a handler that throws in it leaves the parser broken. */
  private guarded(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.broken = true;
      throw error;
    }
  }

  private checkUsable(): void {
    if (this.broken) {
      throw new Error('Era835Parser: a handler threw earlier, so part of the input was not read');
    }
  }
}

function checkHandlers(handlers: unknown): asserts handlers is Era835Handlers {
  if (typeof handlers !== 'object' || handlers === null) {
    throw wrongType('Era835Parser handlers', 'an object of functions', handlers);
  }

  for (const name of ['transaction', 'claim', 'diagnostic'] as const) {
    const handler: unknown = (handlers as Record<string, unknown>)[name];
    if (handler !== undefined && typeof handler !== 'function') {
      throw wrongType(`Era835Parser handler ${name}`, 'a function', handler);
    }
  }
}

function readerFor(
  handlers: Era835Handlers,
  options: { readonly fastLane?: boolean },
): Era835Reader {
  const { transaction, claim, diagnostic } = handlers;
  const onDocumentDiagnostic = (problem: Diagnostic) => diagnostic?.(problem);
  if (transaction === undefined && claim === undefined) {
    return new Era835Reader(null, onDocumentDiagnostic, options);
  }

  const sink: ModelSink = { transaction: transaction ?? (() => undefined) };
  if (claim !== undefined) {
    sink.claim = claim;
    sink.problem = (problem, header) => diagnostic?.(problem, header);
  }
  return new Era835Reader(sink, onDocumentDiagnostic, options);
}

function feed(reader: Era835Reader, buf: Buffer): void {
  if (buf.length <= SLICE_BYTES) {
    reader.push(buf);
    return;
  }
  for (let from = 0; from < buf.length; from += SLICE_BYTES) {
    reader.push(buf.subarray(from, from + SLICE_BYTES));
  }
}

/**
 * Parses a whole 835 held in memory. Never throws on bad input: problems are diagnostics.
 * Throws a TypeError when `input` is neither text nor bytes.
 */
export function parse835(input: string | Uint8Array): Era835Document {
  if (!isChunk(input)) throw wrongType('parse835 input', CHUNK_KINDS, input);

  return parseWhole(input);
}

/** {@link parse835} with the reader's options, for tests that compare its two ways. */
export function parseWhole(
  input: string | Uint8Array,
  options: { readonly fastLane?: boolean } = {},
): Era835Document {
  const transactions: Transaction[] = [];
  const diagnostics: Diagnostic[] = [];
  const reader = readerFor(
    {
      transaction: (transaction) => transactions.push(transaction),
      diagnostic: (diagnostic) => diagnostics.push(diagnostic),
    },
    options,
  );
  feed(reader, bytesOf(input));
  reader.end();
  return { transactions, diagnostics };
}

/**
 * Parses an 835 of any size as it arrives, yielding one transaction set (or one claim, see
 * {@link StreamOptions}) at a time; memory does not grow with the input. The events are the
 * same however the input is cut into chunks. Breaking out of the loop closes the input (a
 * Node stream is destroyed). An `input` of the wrong type throws a TypeError at once; a chunk
 * of the wrong type rejects `next()` with one, and the input is closed.
 */
export function stream835(
  input: Era835Input,
  options: StreamOptions = {},
): AsyncGenerator<Era835Event, void, undefined> {
  checkInput('stream835', input);

  return new EventStream(input, options.unit === 'claim');
}

const DONE: IteratorReturnResult<void> = Object.freeze({ done: true, value: undefined });

/**
 * The events of {@link stream835}, as an async iterator written by hand: an async generator
 * awaits every value it yields, which cost a tenth of a typed parse in microtask turns. Here
 * an event that is ready costs one resolved promise. Events wait in `ready` only for the
 * slice of input that made them, so that they die young. Calls are served in order: one that
 * must wait for input makes the calls after it wait behind it.
 */
class EventStream implements AsyncGenerator<Era835Event, void, undefined> {
  private ready: Era835Event[] = [];
  private index = 0;
  private readonly reader: Era835Reader;
  private source: Iterator<unknown> | AsyncIterator<unknown> | null;
  private readonly sourceIsAsync: boolean;
  /** How many chunks the source has given, to name a chunk of the wrong type. */
  private chunks = 0;
  private readonly text = new Utf8Chunks();
  /** The chunk being fed in slices, and where its next slice starts. */
  private chunk: Buffer | null = null;
  private from = 0;
  private finished = false;
  /** Calls still waiting behind one that reads input, and the last of them. */
  private queued = 0;
  private last: Promise<unknown> = Promise.resolve();

  constructor(input: Era835Input, byClaim: boolean) {
    const ready = (event: Era835Event) => {
      this.ready.push(event);
    };
    this.reader = readerFor(
      {
        transaction: (transaction) => ready({ type: 'transaction', transaction }),
        claim: byClaim
          ? (claim, transaction) => ready({ type: 'claim', claim, transaction })
          : undefined,
        diagnostic: (diagnostic, transaction) =>
          ready(
            transaction === undefined
              ? { type: 'diagnostic', diagnostic }
              : { type: 'diagnostic', diagnostic, transaction },
          ),
      },
      {},
    );

    if (isChunk(input)) {
      this.source = [input][Symbol.iterator]();
      this.sourceIsAsync = false;
    } else if (isAsyncIterable(input)) {
      this.source = input[Symbol.asyncIterator]();
      this.sourceIsAsync = true;
    } else {
      this.source = input[Symbol.iterator]();
      this.sourceIsAsync = false;
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Era835Event, void>> {
    if (this.queued === 0) {
      const event = this.take();
      if (event !== undefined) return Promise.resolve({ done: false, value: event });
    }
    return this.serve(async () => {
      try {
        return await this.advance();
      } catch (error) {
        // As a generator that throws is over, so is this stream; its input is let go.
        await this.close().catch(() => undefined);
        throw error;
      }
    });
  }

  return(): Promise<IteratorResult<Era835Event, void>> {
    return this.serve(async () => {
      await this.close();
      return DONE;
    });
  }

  throw(error: unknown): Promise<IteratorResult<Era835Event, void>> {
    return this.serve(async () => {
      await this.close();
      throw error;
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  /** Runs `call` after every call made before it has settled. */
  private serve<T>(call: () => Promise<T>): Promise<T> {
    this.queued++;
    const result = this.last.then(call);
    const settled = () => {
      this.queued--;
    };
    this.last = result.then(settled, settled);
    return result;
  }

  private take(): Era835Event | undefined {
    const ready = this.ready;
    if (this.index < ready.length) return ready[this.index++];
    if (ready.length > 0) {
      this.ready = [];
      this.index = 0;
    }
    return undefined;
  }

  /** Feeds input until an event is ready or the input is over. */
  private async advance(): Promise<IteratorResult<Era835Event, void>> {
    for (;;) {
      const event = this.take();
      if (event !== undefined) return { done: false, value: event };
      if (this.finished) return DONE;

      const chunk = this.chunk;
      if (chunk !== null && this.from < chunk.length) {
        // Large chunks are fed in slices, so that few events wait at a time.
        const from = this.from;
        this.from = from + SLICE_BYTES;
        this.reader.push(chunk.subarray(from, this.from));
        continue;
      }

      const source = this.source;
      const step = source === null ? DONE : source.next();
      const result = this.sourceIsAsync ? await step : (step as IteratorResult<unknown>);
      if (result.done === true) {
        // A lead surrogate held back from the last chunk is read alone, once the source is over.
        this.source = null;
        const rest = this.text.end();
        if (rest === null) this.finish();
        else this.fill(rest);
        continue;
      }

      const index = this.chunks++;
      const value = result.value;
      if (!isChunk(value)) {
        throw wrongType(`stream835 input chunk at index ${index}`, CHUNK_KINDS, value);
      }
      this.fill(this.text.encode(value));
    }
  }

  private fill(chunk: Buffer): void {
    this.chunk = chunk;
    this.from = 0;
  }

  private finish(): void {
    this.source = null;
    this.chunk = null;
    this.finished = true;
    this.reader.end();
  }

  /** Stops reading: no more events, and the input is told it is no longer wanted. */
  private async close(): Promise<void> {
    const source = this.source;
    this.source = null;
    this.chunk = null;
    this.finished = true;
    this.ready = [];
    this.index = 0;
    if (source?.return !== undefined) await source.return();
  }
}

export interface SummarizeOptions {
  /** Receives every problem as it is found, for hosts that want more than the counts. */
  readonly onDiagnostic?: (diagnostic: Diagnostic) => void;
}

/**
 * Counts and totals of an 835 without building the typed model: what `era835 stats` prints.
 * Memory stays flat whatever the input size; it finds exactly the problems the typed parse
 * finds. An input or chunk of the wrong type rejects with a TypeError.
 */
export async function summarize835(
  input: Era835Input,
  options: SummarizeOptions = {},
): Promise<Era835Stats> {
  checkInput('summarize835', input);

  // The parser joins a character cut between two text chunks; its end() reads a lone half.
  const parser = new Era835Parser({ diagnostic: options.onDiagnostic });
  if (isChunk(input)) {
    parser.push(input);
  } else if (isAsyncIterable(input)) {
    let index = 0;
    for await (const chunk of input) parser.push(summarizedChunk(chunk, index++));
  } else {
    let index = 0;
    for (const chunk of input) parser.push(summarizedChunk(chunk, index++));
  }
  return parser.end();
}

function summarizedChunk(chunk: unknown, index: number): string | Uint8Array {
  if (isChunk(chunk)) return chunk;
  throw wrongType(`summarize835 input chunk at index ${index}`, CHUNK_KINDS, chunk);
}

/**
 * Encodes the chunks of one input to UTF-8, in order, so that the bytes are those of the whole
 * input however its text was cut. A string is UTF-16: a character outside the Basic
 * Multilingual Plane is two code units, a lead surrogate then a trail one, and each half on
 * its own would be encoded as U+FFFD. So a lead surrogate that ends a text chunk is held back
 * and encoded with the chunk after it. At the end of the input, or before a chunk of bytes, a
 * held lead has no trail to come: it is encoded alone, as `Buffer.from` encodes any lone
 * surrogate (U+FFFD), so that no input is lost.
 */
class Utf8Chunks {
  /** The lead surrogate that ended the last text chunk, or `''`. */
  private lead = '';

  /** The bytes of `chunk` read after those of every chunk before it; maybe none. */
  encode(chunk: string | Uint8Array): Buffer {
    if (typeof chunk !== 'string') {
      const bytes = bytesOf(chunk);
      const rest = this.end();
      return rest === null ? bytes : Buffer.concat([rest, bytes]);
    }

    const text = this.lead === '' ? chunk : this.lead + chunk;
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.lead = text.charAt(text.length - 1);
      return Buffer.from(text.slice(0, -1), 'utf8');
    }
    this.lead = '';
    return Buffer.from(text, 'utf8');
  }

  /** The held lead surrogate encoded alone (U+FFFD), or null when none is held. */
  end(): Buffer | null {
    if (this.lead === '') return null;

    const rest = Buffer.from(this.lead, 'utf8');
    this.lead = '';
    return rest;
  }
}

/** The bytes of a whole input, or of one chunk read on its own. */
function bytesOf(chunk: string | Uint8Array): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

const CHUNK_KINDS = 'a string or bytes (a Uint8Array or Buffer)';
const INPUT_KINDS =
  'a string, bytes (a Uint8Array or Buffer), a Node Readable or a sync or async iterable ' +
  'of string or byte chunks';

function isChunk(value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array;
}

function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

function isIterable(value: object): value is Iterable<unknown> {
  return typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
}

/**
 * Throws unless `input` is something {@link Era835Input} allows. Its chunks are checked as
 * they are read: an iterable cannot be looked into before.
 */
function checkInput(fn: string, input: unknown): asserts input is Era835Input {
  if (isChunk(input)) return;
  if (typeof input === 'object' && input !== null) {
    if (isAsyncIterable(input) || isIterable(input)) return;
  }
  throw wrongType(`${fn} input`, INPUT_KINDS, input);
}

/** A wrong argument is the caller's mistake, not a problem of the 835: it throws. */
function wrongType(what: string, expected: string, value: unknown): TypeError {
  return new TypeError(`era-835: ${what} must be ${expected}; got ${kindOf(value)}`);
}

/** `typeof`, told apart for null and for objects of a class: `object (Promise)`. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;

  const name: unknown = Object.getPrototypeOf(value)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object'
    ? `object (${name})`
    : 'object';
}
