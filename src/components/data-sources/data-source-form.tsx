"use client";

import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";

import { type SourceType, sourceTypeLabels, sourceTypes } from "~/components/data-sources/source-types";
import { errorMessage } from "~/components/errors";
import { Button, Spinner } from "~/components/ui/button";
import { DialogActions } from "~/components/ui/dialog";
import { Field, inputClass, SecretInput } from "~/components/ui/fields";
import { InlineError } from "~/components/ui/states";
import { useSingleFlight } from "~/components/use-single-flight";
import { useTRPC } from "~/trpc/react";

type FieldDef = {
  name: string;
  label: string;
  kind?: "text" | "secret" | "number" | "textarea" | "url";
  required?: boolean;
  placeholder?: string;
  hint?: string;
  wide?: boolean;
};

const hostFields = (port: number): FieldDef[] => [
  { name: "host", label: "Host", required: true, placeholder: "db.example.com" },
  { name: "port", label: "Port", kind: "number", placeholder: String(port), hint: `Defaults to ${port}` },
  { name: "database", label: "Database", required: true },
  { name: "user", label: "User", required: true, placeholder: "readonly_user" },
  { name: "password", label: "Password", kind: "secret", wide: true },
];

const urlField = (scheme: string): FieldDef[] => [
  {
    name: "url",
    label: "Connection URL",
    kind: "secret",
    required: true,
    wide: true,
    placeholder: `${scheme}://user:password@host:port/database`,
    hint: `A ${scheme}:// URL. It holds the password, so it is hidden like one.`,
  },
];

const fieldsByType: Record<"SNOWFLAKE" | "BIGQUERY", FieldDef[]> = {
  SNOWFLAKE: [
    { name: "account", label: "Account", required: true, placeholder: "myorg-myaccount", hint: "Account identifier, e.g. myorg-myaccount or xy12345.eu-west-1" },
    { name: "username", label: "Username", required: true },
    { name: "password", label: "Password", kind: "secret", required: true, wide: true },
    { name: "warehouse", label: "Warehouse" },
    { name: "database", label: "Database" },
    { name: "schema", label: "Schema" },
    { name: "role", label: "Role" },
  ],
  BIGQUERY: [
    { name: "projectId", label: "Project ID", required: true, placeholder: "my-project-123456" },
    { name: "location", label: "Location", placeholder: "EU or us-central1", hint: "Where queries run; inferred from the tables when empty" },
    { name: "credentials", label: "Service account key (JSON)", kind: "textarea", required: true, wide: true, hint: "Paste the whole JSON key file of a service account with BigQuery read access." },
    { name: "apiEndpoint", label: "API endpoint", kind: "url", wide: true, placeholder: "https://bigquery.googleapis.com", hint: "Only for private endpoints" },
  ],
};

type Mode = "url" | "fields";

function fieldsFor(type: SourceType, mode: Mode): FieldDef[] {
  if (type === "POSTGRES") return mode === "url" ? urlField("postgresql") : hostFields(5432);
  if (type === "MYSQL") return mode === "url" ? urlField("mysql") : hostFields(3306);
  return fieldsByType[type];
}

/** Only what the user filled in: empty optional fields are left out, so the server's defaults apply. */
function buildCredentials(type: SourceType, mode: Mode, values: Record<string, string>, tls: boolean): { credentials: Record<string, unknown> } | { problem: string } {
  const credentials: Record<string, unknown> = {};
  for (const field of fieldsFor(type, mode)) {
    const raw = values[field.name] ?? "";
    // Passwords may legitimately start or end with spaces; nothing else should.
    const value = field.kind === "secret" ? raw : raw.trim();
    if (!value) {
      if (field.required) return { problem: `${field.label} is required.` };
      continue;
    }
    if (field.kind === "number") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 65535) return { problem: `${field.label} must be a whole number from 1 to 65535.` };
      credentials[field.name] = n;
    } else if (field.name === "credentials" && type === "BIGQUERY") {
      try {
        JSON.parse(value);
      } catch {
        return { problem: "The service account key is not valid JSON. Paste the whole key file." };
      }
      credentials[field.name] = value;
    } else {
      credentials[field.name] = value;
    }
  }
  if ((type === "POSTGRES" || type === "MYSQL") && tls) credentials.ssl = true;
  return { credentials };
}

export function DataSourceForm({ teamId, onSaved, onCancel }: { teamId: string; onSaved: (name: string) => void; onCancel: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState("");
  const [type, setType] = useState<SourceType>("POSTGRES");
  const [mode, setMode] = useState<Mode>("url");
  const [values, setValues] = useState<Record<string, string>>({});
  const [tls, setTls] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const modeName = useId();

  const test = useMutation(trpc.dataSources.test.mutationOptions());
  const create = useMutation(trpc.dataSources.create.mutationOptions({ onSuccess: (source) => onSaved(source.name) }));
  const busy = test.isPending || create.isPending;
  const once = useSingleFlight();

  // Any edit makes the last test's verdict stale.
  function edited() {
    setProblem(null);
    test.reset();
    create.reset();
  }

  function collect() {
    const built = buildCredentials(type, mode, values, tls);
    if ("problem" in built) {
      setProblem(built.problem);
      return null;
    }
    setProblem(null);
    return built.credentials;
  }

  function onTest() {
    const credentials = collect();
    if (credentials) once(() => test.mutateAsync({ teamId, type, credentials }));
  }

  function onSubmit(event: React.FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setProblem("Name is required.");
      return;
    }
    const credentials = collect();
    if (credentials) once(() => create.mutateAsync({ teamId, name: name.trim(), type, credentials }));
  }

  const fields = fieldsFor(type, mode);

  return (
    <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name">
          {(p) => (
            <input
              {...p}
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                setProblem(null);
                create.reset();
              }}
              required
              maxLength={100}
              autoComplete="off"
              placeholder="Production warehouse"
              className={inputClass}
            />
          )}
        </Field>
        <Field label="Type">
          {(p) => (
            <select
              {...p}
              value={type}
              onChange={(e) => {
                setType(e.target.value as SourceType);
                setValues({});
                edited();
              }}
              className={inputClass}
            >
              {sourceTypes.map((t) => (
                <option key={t} value={t}>
                  {sourceTypeLabels[t]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>

      {(type === "POSTGRES" || type === "MYSQL") && (
        <fieldset className="flex flex-col gap-2">
          <legend className="mb-1 text-sm font-medium text-slate-700">Connect with</legend>
          <div className="flex flex-wrap gap-x-6 gap-y-2 text-sm">
            {(
              [
                ["url", "A connection URL"],
                ["fields", "Host, database and user"],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="flex items-center gap-2">
                <input
                  type="radio"
                  name={modeName}
                  value={value}
                  checked={mode === value}
                  onChange={() => {
                    setMode(value);
                    setValues({});
                    edited();
                  }}
                  className="size-4 accent-indigo-600"
                />
                {label}
              </label>
            ))}
          </div>
        </fieldset>
      )}

      <fieldset className="grid gap-4 rounded-lg border border-slate-200 bg-slate-50/60 p-4 sm:grid-cols-2">
        <legend className="px-1 text-sm font-medium text-slate-700">Credentials</legend>
        {fields.map((field) => (
          <Field key={`${type}-${mode}-${field.name}`} label={field.label} hint={field.hint} optional={!field.required} className={field.wide ? "sm:col-span-2" : ""}>
            {(p) => {
              const common = {
                ...p,
                name: field.name,
                value: values[field.name] ?? "",
                required: field.required,
                placeholder: field.placeholder,
                onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
                  const value = e.target.value;
                  setValues((v) => ({ ...v, [field.name]: value }));
                  edited();
                },
              };
              if (field.kind === "secret") return <SecretInput {...common} />;
              if (field.kind === "textarea") {
                return <textarea {...common} rows={6} spellCheck={false} autoComplete="off" className={`${inputClass} h-auto py-2 font-mono text-xs`} />;
              }
              return (
                <input
                  {...common}
                  type={field.kind === "number" ? "number" : field.kind === "url" ? "url" : "text"}
                  inputMode={field.kind === "number" ? "numeric" : undefined}
                  autoComplete="off"
                  spellCheck={false}
                  className={inputClass}
                />
              );
            }}
          </Field>
        ))}
        {(type === "POSTGRES" || type === "MYSQL") && (
          <label className="flex items-start gap-2 text-sm sm:col-span-2">
            <input
              type="checkbox"
              checked={tls}
              onChange={(e) => {
                setTls(e.target.checked);
                edited();
              }}
              className="mt-0.5 size-4 accent-indigo-600"
            />
            <span>
              Require TLS <span className="text-slate-500">(verifies the server&apos;s certificate)</span>
            </span>
          </label>
        )}
      </fieldset>

      <div aria-live="polite" className="empty:hidden">
        {problem && <InlineError>{problem}</InlineError>}
        {!problem && test.data?.ok === true && (
          <p className="rounded-md border border-green-200 bg-green-50 px-3 py-2 text-sm text-green-800">Connection succeeded.</p>
        )}
        {!problem && test.data?.ok === false && (
          <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            <p className="font-medium">The connection failed:</p>
            <p className="mt-1 font-mono text-xs break-words whitespace-pre-wrap">{test.data.error}</p>
          </div>
        )}
        {!problem && test.isError && <InlineError>{errorMessage(test.error)}</InlineError>}
        {!problem && create.isError && <InlineError>{errorMessage(create.error)}</InlineError>}
      </div>

      <DialogActions>
        <Button onClick={onCancel} disabled={create.isPending}>
          Cancel
        </Button>
        <Button onClick={onTest} disabled={busy} aria-busy={test.isPending}>
          {test.isPending && <Spinner />}
          {test.isPending ? "Testing…" : "Test connection"}
        </Button>
        <Button type="submit" variant="primary" disabled={busy} aria-busy={create.isPending}>
          {create.isPending && <Spinner />}
          {create.isPending ? "Saving…" : "Save data source"}
        </Button>
      </DialogActions>
    </form>
  );
}
