"use client";

import Link from "next/link";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";

type Tone = "info" | "success" | "error";
type Toast = { id: number; message: string; tone: Tone; action?: { label: string; href: string } };
type ToastInput = Omit<Toast, "id">;

const ToastContext = createContext<((toast: ToastInput) => void) | null>(null);

const DISMISS_AFTER_MS = 7000;

/**
 * Toasts in one polite live region (role="status") that exists before any toast does, so
 * screen readers announce each one as it is added. They dismiss themselves, except while
 * the pointer or focus is on them.
 */
export function ToastProvider({ children }: { children: React.ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const push = useCallback((toast: ToastInput) => {
    const id = nextId.current++;
    // Four at most: older ones have been read or are no longer news.
    setToasts((current) => [...current.slice(-3), { ...toast, id }]);
  }, []);

  const dismiss = useCallback((id: number) => setToasts((current) => current.filter((t) => t.id !== id)), []);

  return (
    <ToastContext.Provider value={push}>
      {children}
      <div
        role="status"
        aria-live="polite"
        className="pointer-events-none fixed inset-x-0 bottom-0 z-50 flex flex-col items-center gap-2 p-3 sm:inset-x-auto sm:right-0 sm:items-end sm:p-5"
      >
        {toasts.map((toast) => (
          <ToastItem key={toast.id} toast={toast} onDismiss={dismiss} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

const tones: Record<Tone, string> = {
  info: "border-slate-200",
  success: "border-green-300",
  error: "border-red-300",
};

const icons: Record<Tone, React.ReactNode> = {
  info: <span aria-hidden="true" className="mt-1.5 size-2 shrink-0 rounded-full bg-indigo-500" />,
  success: <span aria-hidden="true" className="mt-1.5 size-2 shrink-0 rounded-full bg-green-600" />,
  error: <span aria-hidden="true" className="mt-1.5 size-2 shrink-0 rounded-full bg-red-600" />,
};

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: (id: number) => void }) {
  const [held, setHeld] = useState(false);
  useEffect(() => {
    if (held) return;
    const timer = setTimeout(() => onDismiss(toast.id), DISMISS_AFTER_MS);
    return () => clearTimeout(timer);
  }, [held, onDismiss, toast.id]);

  return (
    <div
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
      className={`pointer-events-auto flex w-full max-w-sm items-start gap-3 rounded-lg border bg-white px-4 py-3 text-sm shadow-lg ${tones[toast.tone]}`}
    >
      {icons[toast.tone]}
      <p className="min-w-0 flex-1 break-words text-slate-800">
        {toast.message}
        {toast.action && (
          <>
            {" "}
            <Link href={toast.action.href} className="font-medium whitespace-nowrap text-indigo-700 underline underline-offset-2 hover:text-indigo-900">
              {toast.action.label}
            </Link>
          </>
        )}
      </p>
      <button
        type="button"
        onClick={() => onDismiss(toast.id)}
        aria-label="Dismiss notification"
        className="-mr-1 rounded p-0.5 text-slate-400 hover:text-slate-700 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4" fill="currentColor">
          <path d="M6.28 5.22a.75.75 0 0 0-1.06 1.06L8.94 10l-3.72 3.72a.75.75 0 1 0 1.06 1.06L10 11.06l3.72 3.72a.75.75 0 1 0 1.06-1.06L11.06 10l3.72-3.72a.75.75 0 0 0-1.06-1.06L10 8.94 6.28 5.22Z" />
        </svg>
      </button>
    </div>
  );
}

export function useToast() {
  const push = useContext(ToastContext);
  if (!push) throw new Error("useToast() needs a ToastProvider");
  return useMemo(
    () => ({
      info: (message: string, action?: Toast["action"]) => push({ message, tone: "info", action }),
      success: (message: string, action?: Toast["action"]) => push({ message, tone: "success", action }),
      error: (message: string, action?: Toast["action"]) => push({ message, tone: "error", action }),
    }),
    [push],
  );
}
