export { type ColumnType, type CsvColumn } from "./column-types";
export {
  CsvWriter,
  type CsvProgress,
  type CsvRecords,
  type CsvResult,
  type CsvWriterOptions,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_ROWS,
  type RowBatches,
} from "./csv-writer";
