"use client";

import { useMutation } from "@tanstack/react-query";

import { errorMessage } from "~/components/errors";
import { Button } from "~/components/ui/button";
import { Field, inputClass } from "~/components/ui/fields";
import type { DestinationInput } from "~/server/schedules/destinations";
import type { DestinationChange } from "~/server/schedules/schedule-input";
import { useTRPC } from "~/trpc/react";

export type DestinationType = DestinationInput["type"];

/** The most destinations a schedule takes (the server's limit too). */
export const MAX_DESTINATIONS = 10;

const typeLabels: Record<DestinationType, string> = { webhook: "Webhook", email: "Email", slack: "Slack", s3: "Our own S3 bucket" };

type Draft = { url: string; to: string; webhookUrl: string; bucket: string; prefix: string; region: string; endpoint: string; forcePathStyle: boolean; accessKeyId: string; secretAccessKey: string };

const emptyDraft: Draft = { url: "", to: "", webhookUrl: "", bucket: "", prefix: "", region: "us-east-1", endpoint: "", forcePathStyle: false, accessKeyId: "", secretAccessKey: "" };

/** Each setting's label, in the fields and in a kept destination's summary alike. */
const fieldLabels: Record<Exclude<keyof Draft, "secretAccessKey">, string> = {
  url: "Webhook URL",
  to: "Recipients",
  webhookUrl: "Slack webhook URL",
  bucket: "Bucket",
  prefix: "Key prefix",
  region: "Region",
  endpoint: "Endpoint",
  forcePathStyle: "Path-style addressing",
  accessKeyId: "Access key id",
};

/** A destination as the schedule shows it: its type and what its view lets be seen, never a secret. */
export type DestinationView = { type: string } & Record<string, unknown>;

/**
 * One destination in the form: a new one, typed in, or one the schedule has, kept as stored
 * (its index in the schedule), since its secrets cannot be shown to be sent back.
 */
export type DestinationEntry = { id: number } & ({ kept: number; view: DestinationView } | { kept?: undefined; type: DestinationType; draft: Draft });

let lastEntryId = 0;

export function newDestination(): DestinationEntry {
  return { id: ++lastEntryId, type: "webhook", draft: emptyDraft };
}

/** The schedule's destinations, each kept as it is. */
export function keptDestinations(views: DestinationView[]): DestinationEntry[] {
  return views.map((view, index) => ({ id: ++lastEntryId, kept: index, view }));
}

/** The destination as the API takes it, from what the form holds; the server checks every field. */
function inputOf(type: DestinationType, d: Draft): DestinationInput {
  switch (type) {
    case "webhook":
      return { type, url: d.url };
    case "email":
      return { type, to: d.to.split(/[\s,;]+/).filter(Boolean) };
    case "slack":
      return { type, webhookUrl: d.webhookUrl };
    case "s3":
      return { type, bucket: d.bucket, prefix: d.prefix || undefined, region: d.region, endpoint: d.endpoint || undefined, forcePathStyle: d.forcePathStyle, accessKeyId: d.accessKeyId, secretAccessKey: d.secretAccessKey };
  }
}

/** What a change sends for each entry: `{ keep }` for a kept one. */
export function destinationChanges(entries: DestinationEntry[]): DestinationChange[] {
  return entries.map((entry) => (entry.kept !== undefined ? { keep: entry.kept } : inputOf(entry.type, entry.draft)));
}

/** A new schedule has only new destinations. */
export function destinationInputs(entries: DestinationEntry[]): DestinationInput[] {
  return entries.flatMap((entry) => (entry.kept === undefined ? [inputOf(entry.type, entry.draft)] : []));
}

/** Whether the entries are the schedule's own destinations, all kept, in their order: nothing to send. */
export function keepsAll(entries: DestinationEntry[], count: number): boolean {
  return entries.length === count && entries.every((entry, index) => entry.kept === index);
}

function isComplete(destination: DestinationInput): boolean {
  return Object.entries(destination).every(([key, value]) => key === "prefix" || key === "endpoint" || key === "forcePathStyle" || (Array.isArray(value) ? value.length > 0 : Boolean(value)));
}

type ListProps = { teamId: string; scheduleId?: string; entries: DestinationEntry[]; onChange: (entries: DestinationEntry[]) => void; disabled: boolean };

/** Where a schedule delivers: 1 to 10 destinations, each with its own fields, test and Remove. */
export function DestinationList({ teamId, scheduleId, entries, onChange, disabled }: ListProps) {
  const replace = (id: number, entry: DestinationEntry) => onChange(entries.map((e) => (e.id === id ? entry : e)));
  return (
    <div className="flex flex-col gap-3">
      {entries.map((entry, index) => (
        <fieldset key={entry.id} className="flex flex-col gap-3 rounded-md border border-slate-200 p-3">
          <legend className="px-1 text-sm font-medium text-slate-800">Destination {index + 1}</legend>
          {entry.kept !== undefined ? <KeptDestination view={entry.view} /> : <NewDestination teamId={teamId} scheduleId={scheduleId} entry={entry} onChange={(e) => replace(entry.id, e)} />}
          <div>
            <Button size="sm" variant="subtle-danger" onClick={() => onChange(entries.filter((e) => e.id !== entry.id))} disabled={disabled || entries.length === 1}>
              Remove
            </Button>
          </div>
        </fieldset>
      ))}
      <div>
        <Button size="sm" onClick={() => onChange([...entries, newDestination()])} disabled={disabled || entries.length >= MAX_DESTINATIONS}>
          Add destination
        </Button>
      </div>
    </div>
  );
}

/** A destination the schedule has, read-only: its type and what may be seen of it. */
function KeptDestination({ view }: { view: DestinationView }) {
  const { type, ...shown } = view;
  const rows = Object.entries(shown).filter(([, value]) => value !== undefined && value !== null && value !== "");
  return (
    <div className="text-sm text-slate-700">
      <p className="font-medium">{typeLabels[type as DestinationType] ?? type}, as saved</p>
      <dl className="mt-1 grid grid-cols-[max-content_1fr] gap-x-3 gap-y-0.5 text-xs">
        {rows.map(([key, value]) => [
          <dt key={`${key}-label`} className="text-slate-500">{fieldLabels[key as keyof typeof fieldLabels] ?? key}</dt>,
          <dd key={key} className="break-all">{Array.isArray(value) ? value.join(", ") : typeof value === "boolean" ? (value ? "yes" : "no") : String(value)}</dd>,
        ])}
      </dl>
    </div>
  );
}

type NewEntry = Extract<DestinationEntry, { type: DestinationType }>;

/** A new destination: its type, that type's fields, and Test destination with its answer. */
function NewDestination({ teamId, scheduleId, entry, onChange }: { teamId: string; scheduleId?: string; entry: NewEntry; onChange: (entry: NewEntry) => void }) {
  const trpc = useTRPC();
  const test = useMutation(trpc.schedules.testDestination.mutationOptions());
  const { type, draft } = entry;
  const set = <K extends keyof Draft>(key: K) => (e: React.ChangeEvent<HTMLInputElement>) => onChange({ ...entry, draft: { ...draft, [key]: e.target.type === "checkbox" ? e.target.checked : e.target.value } });
  const text = (key: Exclude<keyof Draft, "forcePathStyle">, props: React.InputHTMLAttributes<HTMLInputElement> & { hint?: string } = {}) => {
    const { hint, ...input } = props;
    return (
      <Field label={key === "secretAccessKey" ? "Secret access key" : fieldLabels[key]} hint={hint}>
        {(p) => <input {...p} {...input} className={inputClass} value={draft[key]} onChange={set(key)} />}
      </Field>
    );
  };
  const destination = inputOf(type, draft);
  return (
    <>
      <Field label="Deliver to">
        {(p) => (
          <select {...p} className={inputClass} value={type} onChange={(e) => { test.reset(); onChange({ ...entry, type: e.target.value as DestinationType }); }}>
            {(Object.keys(typeLabels) as DestinationType[]).map((t) => (
              <option key={t} value={t}>
                {typeLabels[t]}
              </option>
            ))}
          </select>
        )}
      </Field>
      {type === "webhook" && text("url", { type: "url", required: true, placeholder: "https://example.com/hooks/exports", hint: "Told of every run, signed with the schedule's secret, shown once when its first webhook is saved." })}
      {type === "email" && text("to", { required: true, placeholder: "ana@example.com, bo@example.com", hint: "Each gets the link, rows and size; small files are attached." })}
      {type === "slack" && text("webhookUrl", { type: "url", required: true, placeholder: "https://hooks.slack.com/services/…" })}
      {type === "s3" && (
        <div className="grid gap-3 sm:grid-cols-2">
          {text("bucket", { required: true })}
          {text("prefix", { placeholder: "exports/daily" })}
          {text("region", { required: true })}
          {text("endpoint", { type: "url", placeholder: "Empty for AWS S3", hint: "For R2, MinIO and other S3-compatible stores." })}
          {text("accessKeyId", { required: true, autoComplete: "off" })}
          {text("secretAccessKey", { type: "password", required: true, autoComplete: "new-password", hint: "Stored encrypted, never shown again." })}
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" checked={draft.forcePathStyle} onChange={set("forcePathStyle")} />
            {fieldLabels.forcePathStyle}
          </label>
        </div>
      )}
      <div className="flex items-center gap-3 text-sm">
        <Button size="sm" onClick={() => test.mutate({ teamId, scheduleId, destination })} disabled={!isComplete(destination) || test.isPending}>
          Test destination
        </Button>
        <span role="status">
          {test.isError && <span className="text-red-700">{errorMessage(test.error)}</span>}
          {test.data && (test.data.delivered ? <span className="text-green-800">It works: the destination took a sample.</span> : <span className="text-red-700">{test.data.reason}</span>)}
        </span>
      </div>
    </>
  );
}
