/**
 * Excel (XLSX) through exceljs's streaming WorkbookWriter: each row is committed as it is
 * written, so memory holds one batch and the zip's backlog, never the sheet.
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
import { PassThrough } from "node:stream";

import ExcelJS from "exceljs";

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
// XML 1.0 cannot carry these; exceljs would drop them without a word.
// eslint-disable-next-line no-control-regex
const UNWRITABLE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]/;

const numberFormats: Partial<Record<CellType["kind"], string>> = {
  date: "yyyy-mm-dd",
  timestamp: "yyyy-mm-dd hh:mm:ss.000",
};

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

function xlsxEncoder(columns: readonly Column[]): RowEncoder {
  const cells = columns.map(cellTypeOf);
  const convert = cells.map(excelValueOf);
  const width = columns.length;
  const headers = columns.map((c, i) => {
    const cell = cells[i]!;
    return cell.kind === "timestamp" && cell.utc ? `${c.name} (UTC)` : c.name;
  });

  // Made once, not a closure a row.
  const excelCell = (value: unknown, i: number) => (value === null || value === undefined ? null : convert[i]!(value));

  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on("data", (chunk: Buffer) => chunks.push(chunk));
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useSharedStrings: false, useStyles: true });
  const sheet = workbook.addWorksheet("Export", { views: [{ state: "frozen", ySplit: 1 }] });
  let measuring: (ExcelValue | null)[][] | null = [];

  function write(values: (ExcelValue | null)[]): void {
    sheet.addRow(values).commit();
  }

  /** Sets the widths from the rows held back, then writes the header and those rows. */
  function startSheet(): void {
    const held = measuring ?? [];
    measuring = null;
    sheet.columns = headers.map((header, i) => {
      const longest = held.reduce((max, row) => Math.max(max, row[i] == null ? 0 : displayLength(row[i]!)), header.length);
      const numFmt = numberFormats[cells[i]!.kind];
      return { width: Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest + 2)), ...(numFmt ? { style: { numFmt } } : {}) };
    });
    const header = sheet.addRow(headers.map(text));
    header.font = { bold: true };
    header.commit();
    for (const row of held) write(row);
  }

  let bytesOut = 0;
  output.on("data", (chunk: Buffer) => (bytesOut += chunk.length));
  /**
   * Waits until the zip has compressed what the rows committed so far: exceljs and archiver
   * take writes without backpressure, so without this pause their backlog would grow with
   * the sheet. Compressing emits output until the backlog is gone, so a pause with no new
   * output means it is.
   */
  async function settle(): Promise<void> {
    let seen: number;
    do {
      seen = bytesOut;
      await new Promise<void>((resolve) => setTimeout(resolve, 2));
    } while (bytesOut !== seen);
  }

  return {
    row(values) {
      const row = eachCell(values, width, excelCell);
      if (!measuring) return write(row);
      measuring.push(row);
      if (measuring.length === MEASURED_ROWS) startSheet();
    },
    async take() {
      await settle();
      return chunks.splice(0);
    },
    async end() {
      if (measuring) startSheet();
      sheet.commit();
      await workbook.commit();
      return chunks.splice(0);
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
