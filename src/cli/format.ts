/** Rendering result rows for the terminal and for scripts. */
export const OUTPUT_FORMATS = ["table", "csv", "json", "ndjson"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function formatRows(
  columns: string[],
  rows: Record<string, unknown>[],
  format: OutputFormat,
): string {
  switch (format) {
    case "json":
      return JSON.stringify(rows, null, 2) + "\n";
    case "ndjson":
      return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
    case "csv":
      return (
        [
          columns.map(csvCell).join(","),
          ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(",")),
        ].join("\n") + "\n"
      );
    case "table":
      return table(columns, rows);
  }
}

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function csvCell(value: unknown): string {
  const s = text(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const MAX_CELL = 60;

function table(columns: string[], rows: Record<string, unknown>[]): string {
  const cell = (v: unknown) => {
    const s = text(v).replace(/\s+/g, " ");
    return s.length > MAX_CELL ? s.slice(0, MAX_CELL - 1) + "…" : s;
  };
  const body = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((s, i) => s.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const out = [line(columns), line(widths.map((w) => "-".repeat(w))), ...body.map(line)];
  out.push(`(${rows.length} row${rows.length === 1 ? "" : "s"})`);
  return out.join("\n") + "\n";
}
