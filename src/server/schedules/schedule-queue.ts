/**
 * The schedules domain's port to the engine: it asks for a slot of a schedule to be run, and
 * src/server/jobs implements it with an `export/schedule.due` event, whose id (schedule id plus
 * slot) makes a slot run once however often it is asked.
 */
export type DueSlot = { scheduleId: string; dueAt: string };

export interface ScheduleQueue {
  /** Queues the run of each slot; rejects when the engine cannot be reached. */
  runDue(slots: DueSlot[]): Promise<void>;
}
