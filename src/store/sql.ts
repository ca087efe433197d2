/**
 * The one place where text becomes SQL. Values from users are bound as parameters wherever
 * DuckDB allows it; where it does not (a file path inside a table function call, an identifier),
 * they go through these helpers and nowhere else.
 */

/** A SQL string literal: single quotes doubled. NUL bytes cannot be in a DuckDB string. */
export function quoteString(value: string): string {
  if (value.includes("\u0000")) throw new Error("a SQL string cannot hold a NUL character");
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL identifier: double quotes doubled. */
export function quoteIdentifier(name: string): string {
  if (name.includes("\u0000")) throw new Error("a SQL identifier cannot hold a NUL character");
  return `"${name.replaceAll('"', '""')}"`;
}
