"use client";

import { useState } from "react";

import { Field, inputClass } from "~/components/ui/fields";
import type { DestinationInput } from "~/server/schedules/destinations";

export type DestinationType = DestinationInput["type"];

const typeLabels: Record<DestinationType, string> = { webhook: "Webhook", email: "Email", slack: "Slack", s3: "Our own S3 bucket" };

type Draft = { url: string; to: string; webhookUrl: string; bucket: string; prefix: string; region: string; endpoint: string; forcePathStyle: boolean; accessKeyId: string; secretAccessKey: string };

const emptyDraft: Draft = { url: "", to: "", webhookUrl: "", bucket: "", prefix: "", region: "us-east-1", endpoint: "", forcePathStyle: false, accessKeyId: "", secretAccessKey: "" };

/** The destination as the API takes it, from what the form holds; the server checks every field. */
function destinationOf(type: DestinationType, d: Draft): DestinationInput {
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

/** Where a schedule delivers: its type, and that type's fields. */
export function useDestinationFields() {
  const [type, setType] = useState<DestinationType>("webhook");
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const set = <K extends keyof Draft>(key: K) => (e: React.ChangeEvent<HTMLInputElement>) => setDraft((d) => ({ ...d, [key]: e.target.type === "checkbox" ? e.target.checked : e.target.value }));
  const text = (key: keyof Draft, label: string, props: React.InputHTMLAttributes<HTMLInputElement> & { hint?: string } = {}) => {
    const { hint, ...input } = props;
    return (
      <Field label={label} hint={hint}>
        {(p) => <input {...p} {...input} className={inputClass} value={draft[key] as string} onChange={set(key)} />}
      </Field>
    );
  };
  const fields = (
    <div className="flex flex-col gap-3">
      <Field label="Deliver to">
        {(p) => (
          <select {...p} className={inputClass} value={type} onChange={(e) => setType(e.target.value as DestinationType)}>
            {(Object.keys(typeLabels) as DestinationType[]).map((t) => (
              <option key={t} value={t}>
                {typeLabels[t]}
              </option>
            ))}
          </select>
        )}
      </Field>
      {type === "webhook" && text("url", "Webhook URL", { type: "url", required: true, placeholder: "https://example.com/hooks/exports", hint: "Told of every run, signed with the secret shown once after you create the schedule." })}
      {type === "email" && text("to", "Recipients", { required: true, placeholder: "ana@example.com, bo@example.com", hint: "Each gets the link, rows and size; small files are attached." })}
      {type === "slack" && text("webhookUrl", "Slack webhook URL", { type: "url", required: true, placeholder: "https://hooks.slack.com/services/…" })}
      {type === "s3" && (
        <div className="grid gap-3 sm:grid-cols-2">
          {text("bucket", "Bucket", { required: true })}
          {text("prefix", "Key prefix", { placeholder: "exports/daily" })}
          {text("region", "Region", { required: true })}
          {text("endpoint", "Endpoint", { type: "url", placeholder: "Empty for AWS S3", hint: "For R2, MinIO and other S3-compatible stores." })}
          {text("accessKeyId", "Access key id", { required: true, autoComplete: "off" })}
          {text("secretAccessKey", "Secret access key", { type: "password", required: true, autoComplete: "new-password", hint: "Stored encrypted, never shown again." })}
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" checked={draft.forcePathStyle} onChange={set("forcePathStyle")} />
            Path-style addressing
          </label>
        </div>
      )}
    </div>
  );
  const destination = destinationOf(type, draft);
  const complete = Object.entries(destination).every(([key, value]) => key === "prefix" || key === "endpoint" || key === "forcePathStyle" || (Array.isArray(value) ? value.length > 0 : Boolean(value)));
  return { fields, destination, complete };
}
