"use client";

import { useId, useState } from "react";

export const inputClass =
  "h-10 w-full rounded-md border border-slate-300 bg-white px-3 text-sm placeholder:text-slate-400 disabled:bg-slate-50 aria-[invalid=true]:border-red-400";

type FieldProps = {
  label: string;
  hint?: React.ReactNode;
  optional?: boolean;
  children: (props: { id: string; "aria-describedby"?: string }) => React.ReactNode;
  className?: string;
};

/** A label, the control, and an optional hint wired to it with aria-describedby. */
export function Field({ label, hint, optional = false, children, className = "" }: FieldProps) {
  const id = useId();
  const hintId = useId();
  return (
    <div className={`flex min-w-0 flex-col gap-1 ${className}`}>
      <label htmlFor={id} className="text-sm font-medium text-slate-700">
        {label}
        {optional && <span className="font-normal text-slate-500"> (optional)</span>}
      </label>
      {children({ id, "aria-describedby": hint ? hintId : undefined })}
      {hint && (
        <p id={hintId} className="text-xs text-slate-500">
          {hint}
        </p>
      )}
    </div>
  );
}

/**
 * A password-type input with a Show toggle. Secrets are write-only here: these inputs are never
 * filled from the server, and autofill is discouraged so the user's own login never lands in a
 * database credential.
 */
export function SecretInput(props: Omit<React.InputHTMLAttributes<HTMLInputElement>, "type">) {
  const [shown, setShown] = useState(false);
  return (
    <div className="relative">
      <input
        {...props}
        type={shown ? "text" : "password"}
        autoComplete="off"
        spellCheck={false}
        data-1p-ignore
        data-lpignore="true"
        className={`${inputClass} pr-16 font-mono`}
      />
      <button
        type="button"
        onClick={() => setShown((s) => !s)}
        aria-pressed={shown}
        aria-label={shown ? "Hide value" : "Show value"}
        className="absolute inset-y-1 right-1 rounded px-2 text-xs font-medium text-slate-600 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        {shown ? "Hide" : "Show"}
      </button>
    </div>
  );
}
