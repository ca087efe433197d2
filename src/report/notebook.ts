/**
 * Showing results in a Jupyter notebook (tslab kernel): charts as Vega-Lite MIME bundles that
 * JupyterLab draws interactively, tables as HTML, and the SQL behind each table.
 *
 * tslab's `display` object is passed in rather than imported, so the library does not depend on
 * tslab: `const show = notebookView(tslab.display)`.
 */
import { renderSvg } from "../chart/render.js";
import type { Chart, VegaLiteSpec } from "../chart/spec.js";
import {
  escapeHtml,
  htmlTable,
  paramReplacer,
  paramsComment,
  type HtmlTableOptions,
} from "./table.js";

/** The part of tslab's `display` used here. */
export interface NotebookDisplay {
  html(html: string): void;
  svg(svg: string): void;
  raw(contentType: string, data: string | Uint8Array): unknown;
}

/**
 * The MIME type JupyterLab 4 renders Vega-Lite with. Its renderer bundles Vega-Lite 5; the
 * specs trailbook builds use nothing newer, so they are shown under this type with the
 * matching schema.
 */
export const NOTEBOOK_VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
const V5_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export interface NotebookTableOptions extends HtmlTableOptions {
  /** Show the SQL (and parameters) that produced the rows, folded under the table. */
  showSql?: boolean;
}

export interface NotebookView {
  /** An interactive Vega-Lite chart (JupyterLab, VS Code, nteract). */
  chart(chart: Chart): void;
  /** The same chart drawn to SVG here, for front ends without a Vega-Lite renderer. */
  chartImage(chart: Chart): Promise<void>;
  /** A table of rows, or of a query result (rows plus the SQL that produced them). */
  table(
    input: object[] | { rows: object[]; sql?: string; params?: object },
    options?: NotebookTableOptions,
  ): void;
  /** A short paragraph of HTML-escaped text. */
  note(text: string): void;
  /** A value as indented JSON (a policy, a template). */
  json(value: unknown): void;
}

/** The notebook helpers bound to tslab's display. */
export function notebookView(display: NotebookDisplay): NotebookView {
  return {
    chart(chart) {
      const spec: VegaLiteSpec = { ...chart.spec, $schema: V5_SCHEMA };
      // tslab types `raw` for text and bytes, but passes any value through into the bundle,
      // and a Vega-Lite bundle must be a JSON object.
      display.raw(NOTEBOOK_VEGA_LITE_MIME, spec as unknown as string);
      if (chart.notes.length) {
        display.html(`<p><small>${chart.notes.map(escapeHtml).join("<br>")}</small></p>`);
      }
    },
    async chartImage(chart) {
      display.svg((await renderSvg(chart)).svg);
    },
    table(input, options = {}) {
      const rows = Array.isArray(input) ? input : input.rows;
      let html = htmlTable(rows, { limit: 50, ...options });
      if (options.showSql && !Array.isArray(input) && input.sql) {
        const text = input.sql + paramsComment(input.params);
        html += `\n<details><summary>SQL</summary><pre>${escapeHtml(text)}</pre></details>`;
      }
      display.html(html);
    },
    note(text) {
      display.html(`<p>${escapeHtml(text)}</p>`);
    },
    json(value) {
      display.html(`<pre>${escapeHtml(JSON.stringify(value, paramReplacer, 2))}</pre>`);
    },
  };
}
