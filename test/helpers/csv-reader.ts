/**
 * A CSV reader for tests, written independently of src/query/csv.ts so that it checks the
 * writer rather than mirroring it: RFC 4180 records (quoted fields may hold commas, quotes and
 * line breaks), each ending in LF as trailbook writes them.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") (record.push(field), (field = ""));
    else if (ch === "\n") (record.push(field), records.push(record), (record = []), (field = ""));
    else field += ch;
  }
  if (field !== "" || record.length) throw new Error("the text does not end with a line end");
  return records;
}
