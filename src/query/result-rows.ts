/**
 * DuckDB results as plain rows (see `RowValue` in case.ts), fast enough for results of a hundred
 * thousand rows and fifty columns.
 *
 * Where the time goes: reading a string out of a DuckDB vector costs a call into the native
 * binding and a UTF-8 decode, about a microsecond, whatever its length. A result of strings pays
 * that once per cell, which made turning results into rows cost more than the queries themselves
 * (99,490 role assumptions of 49 columns: ~8 s of conversion after a ~2 s query). So the string
 * columns of a query travel packed: the query is wrapped so that DuckDB writes each row's strings
 * as one JSON array (`json_array(...)`), and JS reads one string and runs one `JSON.parse` per row.
 * Numbers, booleans and times are read from their vectors directly, with a reader chosen once
 * per column from its type. Every value comes out exactly as the value-by-value conversion gives
 * it (`plainCell`), which the tests check on every column type the case file has.
 */
import {
  DuckDBTypeId,
  JSDuckDBValueConverter,
  StatementType,
  type DuckDBDataChunk,
  type DuckDBListType,
  type DuckDBPreparedStatement,
  type DuckDBTimestampTZValue,
  type DuckDBTimestampValue,
  type DuckDBType,
  type DuckDBVector,
} from "@duckdb/node-api";

/** A plain value in a row; the same as `RowValue` in case.ts (repeated to avoid an import cycle). */
type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/** Converts one of DuckDB's JS values: bigint to number when exact, Date to an ISO string. */
export function plainValue(value: unknown): Plain {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === "object") {
    const out: Record<string, Plain> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainValue(v);
    return out;
  }
  return value as Plain;
}

/** A JSON column's text parsed, or kept as text when it does not parse. */
export function parseJsonText(text: string): Plain {
  try {
    return JSON.parse(text) as Plain;
  } catch {
    return text;
  }
}

/**
 * The reference conversion of one cell: DuckDB's JS value made plain, and a JSON column's text
 * parsed (kept as text if it does not parse). The fast readers below must agree with it.
 */
export function plainCell(value: unknown, type: DuckDBType): Plain {
  if (type.alias === "JSON" && typeof value === "string") return parseJsonText(value);
  return plainValue(value);
}

/** Reads the plain value of one row of a vector. */
type CellReader = (vector: DuckDBVector, row: number) => Plain;

const MAX_DATE_MILLIS = 8_640_000_000_000_000n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);

/** The reader of a column of this type, chosen once for the column. */
function cellReader(type: DuckDBType): CellReader {
  const reference: CellReader = (v, i) =>
    plainCell(JSDuckDBValueConverter(v.getItem(i), type, JSDuckDBValueConverter), type);
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      if (type.alias === "JSON") {
        return (v, i) => {
          const s = v.getItem(i) as string | null;
          return s === null ? null : parseJsonText(s);
        };
      }
      return (v, i) => v.getItem(i) as string | null;
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return (v, i) => v.getItem(i) as number | boolean | null;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return (v, i) => {
        const n = v.getItem(i) as bigint | null;
        if (n === null) return null;
        return n <= SAFE_MAX && n >= SAFE_MIN ? Number(n) : n.toString();
      };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      // What DuckDB's converter does (truncate to milliseconds, a Date), without its checks on
      // every value: out of a Date's range, the reference conversion says why it fails.
      return (v, i) => {
        const t = v.getItem(i) as DuckDBTimestampTZValue | DuckDBTimestampValue | null;
        if (t === null) return null;
        const ms = t.micros / 1000n;
        if (ms > MAX_DATE_MILLIS || ms < -MAX_DATE_MILLIS) return reference(v, i);
        return new Date(Number(ms)).toISOString();
      };
    default:
      return reference;
  }
}

/**
 * Whether a column of this type can travel inside the packed JSON array with its plain value
 * unchanged: text (a JSON column embeds its document, which `JSON.parse` reads as `parseJsonText`
 * would), UUIDs and enums (text), and lists of text. Numbers stay out (DuckDB writes NaN and
 * Infinity, which are not JSON, and 64-bit integers would lose digits), and so do times (DuckDB
 * writes them in its own format).
 */
function packable(prepared: DuckDBPreparedStatement, i: number): boolean {
  const id = prepared.columnTypeId(i);
  if (id !== DuckDBTypeId.VARCHAR && id !== DuckDBTypeId.UUID && id !== DuckDBTypeId.ENUM) {
    if (id !== DuckDBTypeId.LIST) return false;
    const child = (prepared.columnType(i) as DuckDBListType).valueType;
    return child.typeId === DuckDBTypeId.VARCHAR && child.alias === undefined;
  }
  const alias = prepared.columnType(i).alias;
  return alias === undefined || alias === "JSON";
}

/**
 * How a statement's rows will be read: which columns go packed, and the wrapping query that packs
 * them (null when nothing is worth packing, or the statement is not a query).
 */
export interface RowPlan {
  names: string[];
  /** Positions of the packed columns, in order. */
  packed: number[];
  /** The query to run instead of the statement, or null to run the statement as it is. */
  wrapped: string | null;
}

/**
 * Plans the reading of a prepared statement's rows. A column whose type depends on a parameter
 * (DuckDB does not know it before binding) is read directly, never packed.
 */
export function planRows(prepared: DuckDBPreparedStatement, sql: string): RowPlan {
  const count = prepared.statementType === StatementType.SELECT ? prepared.columnCount : 0;
  const names: string[] = [];
  const packed: number[] = [];
  for (let i = 0; i < count; i++) {
    names.push(prepared.columnName(i));
    if (packable(prepared, i)) packed.push(i);
  }
  if (packed.length === 0) return { names, packed, wrapped: null };
  const alias = names.map((_, i) => `c${i}`);
  const direct = alias.filter((_, i) => !packed.includes(i));
  // The statement is a subquery on lines of its own, so that a trailing line comment cannot eat
  // the closing parenthesis; its columns are renamed by position, which any names allow.
  const wrapped =
    `SELECT json_array(${packed.map((i) => alias[i]).join(", ")})::VARCHAR` +
    direct.map((a) => `, ${a}`).join("") +
    `\nFROM (\n${sql}\n) AS __rows(${alias.join(", ")})`;
  return { names, packed, wrapped };
}

/**
 * Turns the chunks of a result into rows. `types` are the result's column types: of the wrapped
 * query when `packed` is given (the packed text first, then the other columns in order), else of
 * the statement itself.
 */
export class RowReader {
  /** Where each key of a row comes from: a packed position, or a column and its reader. */
  private readonly sources: {
    name: string;
    column: number;
    packedAt: number;
    read: CellReader | null;
  }[] = [];

  /** Whether the first column is the packed text. */
  private readonly packed: boolean;

  constructor(names: string[], types: DuckDBType[], packed: number[] | null) {
    this.packed = packed !== null;
    let direct = packed ? 1 : 0;
    const seen = new Set<string>();
    names.forEach((name, i) => {
      const at = packed ? packed.indexOf(i) : -1;
      const column = at >= 0 ? 0 : direct++;
      // Of columns with the same name, a row keeps the first (as DuckDB's row objects did).
      if (seen.has(name)) return;
      seen.add(name);
      if (at >= 0) this.sources.push({ name, column, packedAt: at, read: null });
      else this.sources.push({ name, column, packedAt: -1, read: cellReader(types[column]!) });
    });
  }

  /** The rows of one chunk, appended to `out`. */
  read(chunk: DuckDBDataChunk, out: Record<string, Plain>[]): void {
    const n = chunk.rowCount;
    const { sources } = this;
    const vectors = sources.map((s) => (s.read ? chunk.getColumnVector(s.column) : null));
    const packedVector = this.packed ? chunk.getColumnVector(0) : null;
    for (let r = 0; r < n; r++) {
      const packed = packedVector ? (JSON.parse(packedVector.getItem(r) as string) as Plain[]) : [];
      const row: Record<string, Plain> = {};
      for (let k = 0; k < sources.length; k++) {
        const s = sources[k]!;
        row[s.name] = s.read ? s.read(vectors[k]!, r) : packed[s.packedAt]!;
      }
      out.push(row);
    }
  }
}
