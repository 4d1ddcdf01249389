export { type CsvColumn } from "./column-types";
export {
  CsvWriter,
  fileTooLargeError,
  type CsvProgress,
  type CsvRecordChunk,
  type CsvRecords,
  type CsvResult,
  type CsvWriterOptions,
  type RowBatches,
} from "./csv-writer";
export { CsvRecordChunks } from "./csv-record-chunks";
