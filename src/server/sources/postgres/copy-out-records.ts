/**
 * A `COPY … TO STDOUT WITH (FORMAT csv)` read off the connection as whole CSV records
 * (`CsvRecords`). PostgreSQL sends each record of a COPY TO as one CopyData message, so the
 * protocol already frames the records: each message's LF becomes CRLF and is counted, and
 * nothing scans the CSV for record ends. That scan, done on the bytes, took more of the
 * server's CPU than the rest of a million-row export.
 *
 * It is a pg Submittable, and reads the COPY's messages itself, as pg-copy-streams does: pg's
 * own parser would make an object and two events of every record. For the COPY it takes the
 * socket's data from pg, and gives it back, from the first message that is not the COPY's
 * data, at CopyDone (pg then reads CommandComplete and ReadyForQuery), at an ErrorResponse
 * (pg parses it and calls `handleError`), or at whatever else ends the COPY. A reader destroyed
 * early (its consumer stopped) goes on parsing, to stay in step with the messages, and drops
 * the records until the caller ends the connection or the COPY ends. While the consumer is
 * behind, the socket is paused, so a slow upload holds back the server.
 */
import { Readable } from "node:stream";

import type pg from "pg";

import { type CsvRecordChunk } from "~/server/csv";

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
/** Messages that may come before or among the CopyData ones, and that the COPY's reader skips. */
const SKIPPED = new Set([0x48 /* CopyOutResponse */, 0x4e /* NoticeResponse */, 0x53 /* ParameterStatus */, 0x41 /* NotificationResponse */]);
const HEADER = 5;
const LF = 0x0a;
const CR = 0x0d;

type OnData = (chunk: Buffer) => void;

export class CopyOutRecords extends Readable implements pg.Submittable {
  private socket?: pg.Connection["stream"];
  private pgOnData?: OnData;
  /** The start of a message that a later socket read completes, and how many bytes it needs in all. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private needed = HEADER;
  private copyDone = false;

  constructor(private readonly text: string) {
    super({ objectMode: true, highWaterMark: 2 });
  }

  submit(connection: pg.Connection): void {
    const socket = connection.stream;
    const listeners = socket.listeners("data") as OnData[];
    if (listeners.length !== 1) throw new Error(`Expected pg's one data listener on the socket, found ${listeners.length}`);
    this.socket = socket;
    this.pgOnData = listeners[0];
    socket.removeListener("data", this.pgOnData!);
    socket.on("data", this.onData);
    connection.query(this.text);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    if (!this.copyDone) this.destroy(new Error("The server ended the COPY without CopyDone"));
  }

  handleError(error: Error): void {
    this.destroy(error);
  }

  override _read(): void {
    this.socket?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Paused for a consumer that has now gone: the rest is read, and dropped.
    this.socket?.resume();
    callback(error);
  }

  private readonly onData = (input: Buffer) => {
    let data = input;
    if (this.pendingBytes > 0) {
      this.pending.push(input);
      this.pendingBytes += input.length;
      if (this.pendingBytes < this.needed) return;
      data = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    // The records are compacted in place, in the buffer the socket read into: each moves left
    // over its message's 5-byte header and gains a CR before its LF, so the records' end never
    // passes the next message's start, and no record is copied into a buffer of its own.
    const records = { end: 0, count: 0 };
    let at = 0;
    while (data.length - at >= HEADER) {
      const code = data[at]!;
      const end = at + 1 + data.readUInt32BE(at + 1);
      if (code !== COPY_DATA && !SKIPPED.has(code)) {
        this.pushRecords(data, records);
        this.copyDone = code === COPY_DONE;
        this.giveBack(data.subarray(at));
        if (this.copyDone && !this.destroyed) this.push(null);
        return;
      }
      if (end > data.length) {
        this.needed = end - at;
        break;
      }
      if (code === COPY_DATA && !this.destroyed) this.addRecord(data, at + HEADER, end, records);
      at = end;
    }
    if (at < data.length) {
      this.pending.push(data.subarray(at));
      this.pendingBytes = data.length - at;
      if (this.pendingBytes < HEADER) this.needed = HEADER;
    }
    this.pushRecords(data, records);
  };

  /** One record, `data[start, end)` ending in LF, moved to `records.end` with CRLF. */
  private addRecord(data: Buffer, start: number, end: number, records: { end: number; count: number }): void {
    if (end === start || data[end - 1] !== LF) {
      this.destroy(new Error("The server sent COPY data that is not one whole record a message"));
      return;
    }
    data.copyWithin(records.end, start, end - 1);
    records.end += end - 1 - start;
    data[records.end++] = CR;
    data[records.end++] = LF;
    records.count++;
  }

  /** Hands the records compacted at the start of `data` on, and pauses the socket while the consumer is behind. */
  private pushRecords(data: Buffer, records: { end: number; count: number }): void {
    if (records.count === 0 || this.destroyed) return;
    const chunk: CsvRecordChunk = { bytes: data.subarray(0, records.end), records: records.count };
    if (!this.push(chunk)) this.socket?.pause();
  }

  /** Puts pg's parser back on the socket, with the bytes it is to read first. */
  private giveBack(rest: Buffer): void {
    const socket = this.socket!;
    socket.removeListener("data", this.onData);
    socket.on("data", this.pgOnData!);
    this.pgOnData!(rest);
    socket.resume();
  }
}
