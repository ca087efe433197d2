/**
 * Text widths from the shipped font itself, for vega's layout.
 *
 * Without a canvas, vega guesses every character to be 0.8 em wide, so axis titles land on top of
 * long labels and legends are sized wrongly. Reading the advance widths from the TrueType file
 * (the `cmap` table maps characters to glyphs, `hmtx` gives each glyph's advance) lets vega lay
 * out text as resvg will draw it. Kerning is ignored: a pixel or two on a long label.
 */
import { readFileSync } from "node:fs";

/** Advance widths of one TrueType font, in em. */
export class FontMetrics {
  private readonly advance = new Map<number, number>();
  private readonly fallback: number;

  constructor(bytes: Uint8Array) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const tables = new Map<string, number>();
    const count = view.getUint16(4);
    for (let i = 0; i < count; i++) {
      const at = 12 + i * 16;
      const tag = String.fromCharCode(...bytes.subarray(at, at + 4));
      tables.set(tag, view.getUint32(at + 8));
    }
    const table = (tag: string) => {
      const at = tables.get(tag);
      if (at === undefined) throw new Error(`font has no ${tag} table`);
      return at;
    };
    const unitsPerEm = view.getUint16(table("head") + 18);
    const metricCount = view.getUint16(table("hhea") + 34);
    const hmtx = table("hmtx");
    const glyphAdvance = (glyph: number) =>
      view.getUint16(hmtx + 4 * Math.min(glyph, metricCount - 1)) / unitsPerEm;
    for (const [code, glyph] of readCmap(view, table("cmap"))) {
      this.advance.set(code, glyphAdvance(glyph));
    }
    // Characters the font lacks are drawn with its .notdef glyph (glyph 0).
    this.fallback = glyphAdvance(0);
  }

  static fromFile(path: string): FontMetrics {
    return new FontMetrics(readFileSync(path));
  }

  /** The width of `text` at `size` pixels. */
  width(text: string, size: number): number {
    let em = 0;
    for (const ch of text) em += this.advance.get(ch.codePointAt(0)!) ?? this.fallback;
    return em * size;
  }
}

/** The character-to-glyph map of a Unicode BMP subtable (format 4). */
function readCmap(view: DataView, cmap: number): Map<number, number> {
  const count = view.getUint16(cmap + 2);
  let sub = -1;
  for (let i = 0; i < count; i++) {
    const at = cmap + 4 + i * 8;
    const platform = view.getUint16(at);
    const encoding = view.getUint16(at + 2);
    const offset = cmap + view.getUint32(at + 4);
    // Windows Unicode BMP (3,1) or Unicode BMP (0,3), in format 4.
    if (
      ((platform === 3 && encoding === 1) || (platform === 0 && encoding === 3)) &&
      view.getUint16(offset) === 4
    ) {
      sub = offset;
      break;
    }
  }
  if (sub < 0) throw new Error("font has no Unicode BMP character map (cmap format 4)");
  const segments = view.getUint16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + segments * 2 + 2;
  const deltas = starts + segments * 2;
  const rangeOffsets = deltas + segments * 2;
  const map = new Map<number, number>();
  for (let s = 0; s < segments; s++) {
    const end = view.getUint16(ends + s * 2);
    const start = view.getUint16(starts + s * 2);
    const delta = view.getInt16(deltas + s * 2);
    const rangeAt = rangeOffsets + s * 2;
    const rangeOffset = view.getUint16(rangeAt);
    for (let code = start; code <= end && code !== 0xffff; code++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (code + delta) & 0xffff;
      else {
        const g = view.getUint16(rangeAt + rangeOffset + (code - start) * 2);
        glyph = g === 0 ? 0 : (g + delta) & 0xffff;
      }
      if (glyph !== 0) map.set(code, glyph);
    }
  }
  return map;
}
