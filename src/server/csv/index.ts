export { type CsvColumn } from "./column-types";
export {
  CsvWriter,
  fileTooLarge,
  type CsvProgress,
  type CsvRecords,
  type CsvResult,
  type CsvWriterOptions,
  type RowBatches,
} from "./csv-writer";
export { CsvRecordChunks } from "./csv-record-chunks";
