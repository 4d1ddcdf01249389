/**
 * A cron's five fields in plain words, for the forms that most schedules use (the presets and
 * their variations); anything else is shown as it is written, beside its next runs.
 */
const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const number = /^\d+$/;

function time(hour: string, minute: string): string {
  return `${hour.padStart(2, "0")}:${minute.padStart(2, "0")}`;
}

export function cronInWords(cron: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  if (month !== "*") return null;
  if (minute === "*" && hour === "*" && dayOfMonth === "*" && dayOfWeek === "*") return "Every minute";
  const every = /^\*\/(\d+)$/.exec(minute);
  if (every && hour === "*" && dayOfMonth === "*" && dayOfWeek === "*") return `Every ${every[1]} minutes`;
  if (!number.test(minute)) return null;
  if (hour === "*" && dayOfMonth === "*" && dayOfWeek === "*") return `Every hour at minute ${minute}`;
  if (!number.test(hour)) return null;
  if (dayOfMonth === "*" && dayOfWeek === "*") return `Every day at ${time(hour, minute)}`;
  if (dayOfMonth === "*" && dayOfWeek === "1-5") return `Every weekday at ${time(hour, minute)}`;
  if (dayOfMonth === "*" && /^[0-6]$/.test(dayOfWeek)) return `Every ${days[Number(dayOfWeek)]} at ${time(hour, minute)}`;
  if (number.test(dayOfMonth) && dayOfWeek === "*") return `On day ${dayOfMonth} of every month at ${time(hour, minute)}`;
  return null;
}
