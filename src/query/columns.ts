/**
 * What kind of value each result column holds, and results as Apache Arrow tables.
 *
 * Rows in JS are plain values (times as ISO 8601 strings, counts as numbers), which is what JSON,
 * CSV and a table print want. A notebook or data tool wants types, so every result also says the
 * kind of each column, taken from DuckDB's column types or declared by the helper that computed
 * the column, and {@link toArrow} builds typed Arrow vectors from that.
 */
import {
  Bool,
  DateDay,
  Field,
  Float64,
  Int32,
  List,
  Table,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
  type DataType,
  type Vector,
} from "apache-arrow";
import {
  DuckDBTypeId,
  type DuckDBArrayType,
  type DuckDBListType,
  type DuckDBType,
} from "@duckdb/node-api";

/**
 * - `timestamp`: an instant (ISO 8601 string in rows; Arrow `Timestamp<ms, UTC>`);
 * - `date`: a calendar day (`YYYY-MM-DD` in rows; Arrow `DateDay`);
 * - `integer`: a whole number such as a count (Arrow `Int32`, or `Float64` when a value does not
 *   fit in 32 bits: JS numbers are what a notebook computes with, Arrow `Int64` would give BigInt);
 * - `number`: any other number (Arrow `Float64`);
 * - `string[]`: a list of strings (Arrow `List<Utf8>`);
 * - `json`: anything else structured (objects, maps, mixed lists), as JSON text in Arrow.
 */
export const COLUMN_KINDS = [
  "string",
  "integer",
  "number",
  "boolean",
  "timestamp",
  "date",
  "string[]",
  "json",
] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];
export type ColumnKinds = Record<string, ColumnKind>;

/** The kind of a DuckDB column type. */
export function kindOfDuckDBType(type: DuckDBType): ColumnKind {
  if (type.alias === "JSON") return "json";
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_TZ:
    case DuckDBTypeId.INTERVAL:
      return "string";
    case DuckDBTypeId.BOOLEAN:
      return "boolean";
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT:
      return "integer";
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.DECIMAL:
      return "number";
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return "timestamp";
    case DuckDBTypeId.DATE:
      return "date";
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const child = (type as DuckDBListType | DuckDBArrayType).valueType;
      return child.typeId === DuckDBTypeId.VARCHAR && child.alias === undefined
        ? "string[]"
        : "json";
    }
    default:
      return "json";
  }
}

/** The kinds of a result's columns, from DuckDB's types. */
export function kindsOf(names: string[], types: DuckDBType[]): ColumnKinds {
  const out: ColumnKinds = {};
  names.forEach((n, i) => (out[n] = kindOfDuckDBType(types[i]!)));
  return out;
}

/** The SQL type a column of this kind is written with (Parquet export). */
export function sqlTypeOfKind(kind: ColumnKind): string {
  switch (kind) {
    case "string":
      return "VARCHAR";
    case "integer":
      return "BIGINT";
    case "number":
      return "DOUBLE";
    case "boolean":
      return "BOOLEAN";
    case "timestamp":
      return "TIMESTAMPTZ";
    case "date":
      return "DATE";
    case "string[]":
      return "VARCHAR[]";
    case "json":
      return "JSON";
  }
}

/** Guesses a kind from values, for columns no one declared. */
/**
 * The kinds of rows built in JavaScript rather than read from DuckDB (e.g. decisions of the
 * policy engine), inferred from their values.
 */
export function kindsOfRows(columns: readonly string[], rows: readonly object[]): ColumnKinds {
  const out: ColumnKinds = {};
  for (const name of columns) {
    out[name] = inferKind(rows.map((r) => (r as Record<string, unknown>)[name]));
  }
  return out;
}

export function inferKind(values: unknown[]): ColumnKind {
  let kind: ColumnKind | undefined;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k: ColumnKind =
      typeof v === "boolean"
        ? "boolean"
        : typeof v === "number"
          ? Number.isInteger(v)
            ? "integer"
            : "number"
          : typeof v === "string"
            ? "string"
            : Array.isArray(v) && v.every((x) => typeof x === "string" || x === null)
              ? "string[]"
              : "json";
    if (kind === undefined) kind = k;
    else if (kind !== k) {
      if ((kind === "integer" && k === "number") || (kind === "number" && k === "integer")) {
        kind = "number";
      } else return "json";
    }
  }
  return kind ?? "string";
}

const INT32_MAX = 2 ** 31 - 1;

function toMillis(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  const ms = Date.parse(String(v));
  return Number.isNaN(ms) ? null : ms;
}

function vectorOf(kind: ColumnKind, input: unknown[]): Vector {
  // DuckDB hands BIGINT counts over as bigint: as numbers they are what a notebook computes with.
  const values =
    kind === "integer" || kind === "number"
      ? input.map((v) => (typeof v === "bigint" ? Number(v) : v))
      : input;
  const type: DataType = (() => {
    switch (kind) {
      case "string":
        return new Utf8();
      case "boolean":
        return new Bool();
      case "integer":
        return values.every(
          (v) =>
            v === null || v === undefined || (typeof v === "number" && Math.abs(v) <= INT32_MAX),
        )
          ? new Int32()
          : new Float64();
      case "number":
        return new Float64();
      case "timestamp":
        return new TimestampMillisecond("UTC");
      case "date":
        return new DateDay();
      case "string[]":
        return new List(new Field("item", new Utf8(), true));
      case "json":
        return new Utf8();
    }
  })();
  const converted = values.map((v): unknown => {
    if (v === null || v === undefined) return null;
    switch (kind) {
      case "string":
        return typeof v === "string" ? v : JSON.stringify(v);
      case "integer":
      case "number":
        return typeof v === "number" ? v : Number(v);
      case "timestamp":
        return toMillis(v);
      case "date":
        return new Date(toMillis(v) ?? Number.NaN);
      case "string[]":
        return Array.isArray(v) ? v.map((x) => (x === null ? null : String(x))) : null;
      case "json":
        return JSON.stringify(v);
      default:
        return v;
    }
  });
  return vectorFromArray(converted, type);
}

/**
 * An Arrow table of a result, typed by its column kinds (inferred from the values for a column
 * without one): times become timestamps, counts numbers, lists of strings Arrow lists, anything
 * else structured JSON text. Column order follows `columns`.
 *
 * Note: this converts rows already in memory; for a large SQL result use `Case.arrow`, which
 * builds the vectors chunk by chunk from DuckDB's columns without making row objects.
 */
export function toArrow(result: {
  rows: readonly object[];
  columns?: readonly string[];
  types?: ColumnKinds;
}): Table {
  const rows = result.rows as readonly Record<string, unknown>[];
  const columns = result.columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  const vectors: Record<string, Vector> = {};
  for (const name of columns) {
    const values = rows.map((r) => r[name]);
    vectors[name] = vectorOf(result.types?.[name] ?? inferKind(values), values);
  }
  return new Table(vectors);
}

/** Builds an Arrow table from columns of values (used by `Case.arrow`). */
export function arrowFromColumns(
  columns: readonly string[],
  kinds: ColumnKinds,
  values: unknown[][],
): Table {
  const vectors: Record<string, Vector> = {};
  columns.forEach((name, i) => (vectors[name] = vectorOf(kinds[name] ?? "json", values[i]!)));
  return new Table(vectors);
}
