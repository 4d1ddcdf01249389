/**
 * Excel (XLSX), written directly as SpreadsheetML into a streamed ZIP (zip-archive.ts): each
 * batch of rows becomes the sheet's XML and goes to the deflater, so memory holds a batch and
 * the deflater's window, never the sheet.
 *
 * - numbers as numbers, except bigint and numeric values of more than 15 significant digits,
 *   which Excel would round (it keeps doubles): those are text, every digit kept;
 * - booleans as booleans; dates and timestamps as Excel dates with a number format. Excel has
 *   no time zone, so an instant is written in UTC and its header says "(UTC)";
 * - json and arrays as their JSON text, binary as base64 text;
 * - strings as strings (inline, not shared, so that memory stays flat): a cell starting with
 *   "=" is text, never a formula, since formulas are only written when asked for;
 * - NULL an empty cell; a bold, frozen header row, and widths measured on the first rows.
 */
import { type CellType, cellTypeOf, type Column } from "~/server/columns";
import { AppError } from "~/server/errors";

import {
  base64,
  CellValueError,
  dateDays,
  jsonSource,
  numberText,
  plainText,
  significantDigits,
  timestampDate,
  toBoolean,
  toDouble,
} from "./cell-values";
import type { ExportFormat } from "./export-format";
import { eachCell, encodeTypedRows, type RowEncoder } from "./typed-rows";
import { ZipArchive } from "./zip-archive";

/** Excel keeps 15 significant digits of a number; beyond, it would change the value. */
const EXCEL_DIGITS = 15;
/** The most characters Excel lets a cell hold. */
const EXCEL_CELL_CHARS = 32_767;
/** Data rows a sheet can hold: Excel's 1,048,576 rows less the header. */
const EXCEL_MAX_DATA_ROWS = 1_048_575;
/** Rows measured for the column widths before the first is written. */
const MEASURED_ROWS = 100;
const MIN_WIDTH = 8;
const MAX_WIDTH = 60;
const DAY_MS = 86_400_000;
/** 1970-01-01 as an Excel date: days since 1900-01-00, counting 1900's leap day, as Excel does. */
const EPOCH_SERIAL = 25_569;
// XML 1.0 cannot carry these.
// eslint-disable-next-line no-control-regex
const UNWRITABLE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]/;

/** The cell formats of styles.xml, by their index there. */
const STYLE = { plain: 0, header: 1, date: 2, timestamp: 3 } as const;
const dateStyles: Partial<Record<CellType["kind"], number>> = { date: STYLE.date, timestamp: STYLE.timestamp };

function text(value: string): string {
  if (value.length > EXCEL_CELL_CHARS) throw new CellValueError(`a text of ${value.length} characters, beyond the ${EXCEL_CELL_CHARS} a cell holds`);
  if (UNWRITABLE.test(value)) throw new CellValueError("a control character");
  return value;
}

/** A number Excel holds exactly as a number; otherwise its digits as text. */
function exactNumber(value: unknown): number | string {
  const digits = numberText(value);
  return significantDigits(digits) <= EXCEL_DIGITS ? Number(digits) : digits;
}

type ExcelValue = string | number | boolean | Date;

function excelValueOf(cell: CellType): (value: unknown) => ExcelValue {
  switch (cell.kind) {
    case "int32":
    case "double":
      return (value) => {
        const n = toDouble(value);
        // Excel has no NaN or infinity; the name keeps the value readable.
        return Number.isFinite(n) ? n : String(n);
      };
    case "int64":
    case "decimal":
      return exactNumber;
    case "boolean":
      return toBoolean;
    case "date":
      return (value) => new Date(dateDays(value) * DAY_MS);
    case "timestamp":
      return timestampDate;
    case "json":
    case "array":
      return (value) => text(jsonSource(value));
    case "binary":
      return (value) => text(base64(value));
    default:
      return (value) => text(plainText(value));
  }
}

function displayLength(value: ExcelValue): number {
  if (value instanceof Date) return 23;
  return String(value).split("\n", 1)[0]!.length;
}

/** The column's letters: A…Z, AA…ZZ, AAA… */
function columnLetters(index: number): string {
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

const XML_SPECIAL = /[&<>]/g;
const xmlEntities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
const isSpace = (code: number) => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;

function inlineString(ref: string, style: number, value: string): string {
  const escaped = value.replace(XML_SPECIAL, (c) => xmlEntities[c]!);
  // Without it, a reader may drop the spaces at either end.
  const preserve = value.length > 0 && (isSpace(value.charCodeAt(0)) || isSpace(value.charCodeAt(value.length - 1)));
  return `<c r="${ref}"${style ? ` s="${style}"` : ""} t="inlineStr"><is><t${preserve ? ' xml:space="preserve"' : ""}>${escaped}</t></is></c>`;
}

function cellXml(ref: string, style: number, value: ExcelValue): string {
  if (typeof value === "string") return inlineString(ref, style, value);
  if (typeof value === "boolean") return `<c r="${ref}" t="b"><v>${value ? 1 : 0}</v></c>`;
  const number = value instanceof Date ? EPOCH_SERIAL + value.getTime() / DAY_MS : value;
  return `<c r="${ref}"${style ? ` s="${style}"` : ""}><v>${number}</v></c>`;
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PACKAGE_RELATIONSHIP_NS = "http://schemas.openxmlformats.org/package/2006/relationships";

/** The workbook's parts around its one sheet: the package's content types and relationships, the workbook, and its styles. */
const workbookParts: ReadonlyArray<[string, string]> = [
  [
    "[Content_Types].xml",
    `${XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
      '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
      "</Types>",
  ],
  [
    "_rels/.rels",
    `${XML_DECLARATION}<Relationships xmlns="${PACKAGE_RELATIONSHIP_NS}">` +
      `<Relationship Id="rId1" Type="${RELATIONSHIP_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
  ],
  [
    "xl/workbook.xml",
    `${XML_DECLARATION}<workbook xmlns="${MAIN_NS}" xmlns:r="${RELATIONSHIP_NS}">` +
      '<sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>',
  ],
  [
    "xl/_rels/workbook.xml.rels",
    `${XML_DECLARATION}<Relationships xmlns="${PACKAGE_RELATIONSHIP_NS}">` +
      `<Relationship Id="rId1" Type="${RELATIONSHIP_NS}/worksheet" Target="worksheets/sheet1.xml"/>` +
      `<Relationship Id="rId2" Type="${RELATIONSHIP_NS}/styles" Target="styles.xml"/></Relationships>`,
  ],
  [
    // The cellXfs in STYLE's order: plain, the bold header, a date, a timestamp.
    "xl/styles.xml",
    `${XML_DECLARATION}<styleSheet xmlns="${MAIN_NS}">` +
      '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss.000"/></numFmts>' +
      '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
      '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
      '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
      '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
      '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
      '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
      '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
      '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>' +
      '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
  ],
];

function xlsxEncoder(columns: readonly Column[]): RowEncoder {
  const cells = columns.map(cellTypeOf);
  const convert = cells.map(excelValueOf);
  const styles = cells.map((cell) => dateStyles[cell.kind] ?? STYLE.plain);
  const letters = columns.map((_, i) => columnLetters(i));
  const width = columns.length;
  const headers = columns.map((c, i) => {
    const cell = cells[i]!;
    return cell.kind === "timestamp" && cell.utc ? `${c.name} (UTC)` : c.name;
  });

  // Made once, not a closure a row.
  const excelCell = (value: unknown, i: number) => (value === null || value === undefined ? null : convert[i]!(value));

  const archive = new ZipArchive();
  for (const [path, xml] of workbookParts) archive.add(path, xml);
  const sheet = archive.stream("xl/worksheets/sheet1.xml");
  /** The sheet's XML since the last batch was handed to the deflater. */
  let pending = "";
  let rowNumber = 0;
  let measuring: (ExcelValue | null)[][] | null = [];

  function write(values: readonly (ExcelValue | null)[], style?: number): void {
    const r = ++rowNumber;
    let xml = `<row r="${r}">`;
    for (let i = 0; i < width; i++) {
      const value = values[i];
      if (value !== null && value !== undefined) xml += cellXml(letters[i]! + r, style ?? styles[i]!, value);
    }
    pending += xml + "</row>";
  }

  /** Sets the widths from the rows held back, then writes the header and those rows. */
  function startSheet(): void {
    const held = measuring ?? [];
    measuring = null;
    const cols = headers.map((header, i) => {
      const longest = held.reduce((max, row) => Math.max(max, row[i] == null ? 0 : displayLength(row[i]!)), header.length);
      const style = styles[i] ? ` style="${styles[i]}"` : "";
      return `<col min="${i + 1}" max="${i + 1}" width="${Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest + 2))}" customWidth="1"${style}/>`;
    });
    pending +=
      `${XML_DECLARATION}<worksheet xmlns="${MAIN_NS}" xmlns:r="${RELATIONSHIP_NS}">` +
      '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
      '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>' +
      `<sheetFormatPr defaultRowHeight="15"/>${cols.length ? `<cols>${cols.join("")}</cols>` : ""}<sheetData>`;
    write(headers.map(text), STYLE.header);
    for (const row of held) write(row);
  }

  function handOver(): void {
    if (pending) sheet.write(pending);
    pending = "";
  }

  return {
    row(values) {
      const row = eachCell(values, width, excelCell);
      if (!measuring) return write(row);
      measuring.push(row);
      if (measuring.length === MEASURED_ROWS) startSheet();
    },
    async take() {
      handOver();
      // The batch before this one is compressed by now: at most one waits in the deflater.
      await sheet.settled();
      return archive.take();
    },
    async end() {
      if (measuring) startSheet();
      pending += "</sheetData></worksheet>";
      handOver();
      return archive.end();
    },
  };
}

export const xlsxFormat: ExportFormat = {
  id: "xlsx",
  label: "Excel (XLSX)",
  hint: "A spreadsheet with typed cells and a frozen header, up to Excel's row limit.",
  compressions: [],
  extension: "xlsx",
  contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  databaseEncoding: null,
  encode(rows, options) {
    // One sheet holds the whole export: a cap above the sheet's limit is refused before a row
    // is read, rather than cut short or split across sheets that a reader would have to join.
    if (options.maxRows > EXCEL_MAX_DATA_ROWS) {
      throw new AppError(
        "UNPROCESSABLE",
        `XLSX holds at most ${EXCEL_MAX_DATA_ROWS.toLocaleString("en")} rows a sheet, below this export's row limit of ` +
          `${options.maxRows.toLocaleString("en")} (EXPORT_MAX_ROWS). Choose CSV, Parquet or JSON Lines.`,
        { details: { maxRows: options.maxRows, sheetRows: EXCEL_MAX_DATA_ROWS } },
      );
    }
    return encodeTypedRows(rows, options, "XLSX", xlsxEncoder);
  },
};
