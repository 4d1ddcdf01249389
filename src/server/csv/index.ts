export { type ColumnType, type CsvColumn } from "./column-types";
export {
  CsvWriter,
  type CsvProgress,
  type CsvRecords,
  type CsvResult,
  type CsvWriterOptions,
  type RowBatches,
} from "./csv-writer";
export { CsvRecordChunks } from "./csv-record-chunks";
export { isNumericColumnType } from "./column-types";
