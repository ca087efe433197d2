import { describe, expect, it } from "vitest";
import {
  arrayElements,
  endOfValue,
  JsonShapeError,
  objectMembers,
} from "../src/archive/json-scan.js";

const bytes = (text: string) => Buffer.from(text, "utf8");

describe("the structural JSON scanner", () => {
  it("should find the end of strings whatever backslashes precede their quotes", () => {
    const cases = [
      String.raw`"plain"`,
      String.raw`"with \" inside"`,
      String.raw`"ends in a backslash \\"`,
      String.raw`"three \\\" then more"`,
      String.raw`"four \\\\"`,
      String.raw`"\u0022 is a quote"`,
      `""`,
    ];
    for (const text of cases) {
      const b = bytes(`${text}, "next"`);
      expect(endOfValue(b, 0), text).toBe(text.length);
      // The scanner agrees with the real parser about where the string ends.
      expect(JSON.parse(text)).toBeTypeOf("string");
    }
  });

  it("should cut an array of records with quotes and brackets inside strings", () => {
    const records = [
      { a: 'say "hi" [not a bracket] {nor this}' },
      { b: "back\\slash\\", c: [1, { d: "}" }] },
      { e: "ünïcode ✓", f: null },
    ];
    const text = JSON.stringify({ Records: records, after: true });
    const b = bytes(text);
    const { members, end } = objectMembers(b, 0, b.length, new Set(["Records"]));
    expect(end).toBe(b.length);
    expect(members.map((m) => m.key)).toEqual(["Records", "after"]);
    const items = members[0]!.items!;
    expect(items.map((s) => JSON.parse(b.toString("utf8", s.start, s.end)))).toEqual(records);
    expect(arrayElements(b, members[0]!.value.start).items).toEqual(items);
  });

  it("should refuse unterminated strings and unbalanced containers", () => {
    for (const text of [`{"a":"open`, `{"a":"escaped end\\"}`, `{"a":[1,2}`, `[{"a":1}`]) {
      expect(() => endOfValue(bytes(text), 0), text).toThrow(JsonShapeError);
    }
  });
});
