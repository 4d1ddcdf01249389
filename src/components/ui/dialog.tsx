"use client";

import { useEffect, useId, useRef } from "react";

const focusable =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Back to what opened the dialog; if that is gone (the row it sat in was deleted, say), to the
 * page's heading, so keyboard users resume near where they were rather than at the top.
 */
function restoreFocus(target: HTMLElement | null) {
  if (target?.isConnected) {
    target.focus();
    return;
  }
  document.querySelector<HTMLElement>("main h1[tabindex]")?.focus();
}

type DialogProps = {
  open: boolean;
  onClose: () => void;
  title: React.ReactNode;
  description?: React.ReactNode;
  children: React.ReactNode;
  /** Backdrop clicks close it unless the dialog holds something the user must not lose by accident. */
  dismissOnBackdrop?: boolean;
  size?: "sm" | "md" | "lg";
  /** The element to focus on open; otherwise the first focusable one inside. */
  initialFocus?: React.RefObject<HTMLElement | null>;
};

const widths = { sm: "max-w-md", md: "max-w-lg", lg: "max-w-2xl" };

/**
 * A modal on the native <dialog>: showModal() puts it in the top layer and makes the page
 * behind it inert. Tab is wrapped by hand as well, because the browser lets focus leave a
 * modal for its own toolbar. Escape closes; focus goes back to whatever opened it.
 */
export function Dialog({ open, onClose, title, description, children, dismissOnBackdrop = true, size = "md", initialFocus }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const returnFocus = useRef<HTMLElement | null>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    onCloseRef.current = onClose;
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      returnFocus.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      // The close button comes first in the DOM but is rarely what the user came for.
      const target =
        initialFocus?.current ??
        dialog.querySelector<HTMLElement>("[data-autofocus]") ??
        dialog.querySelector<HTMLElement>(`[data-dialog-body] :is(${focusable})`) ??
        dialog.querySelector<HTMLElement>(focusable);
      target?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open, initialFocus]);

  // Unmounting while open (navigation, say) must still give focus back.
  useEffect(() => {
    const dialog = ref.current;
    return () => {
      if (dialog?.open) restoreFocus(returnFocus.current);
    };
  }, []);

  function onKeyDown(event: React.KeyboardEvent<HTMLDialogElement>) {
    if (event.key !== "Tab" || !ref.current) return;
    const items = Array.from(ref.current.querySelectorAll<HTMLElement>(focusable)).filter((el) => el.offsetParent !== null);
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  return (
    <dialog
      ref={ref}
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onKeyDown={onKeyDown}
      onCancel={(event) => {
        // Escape: let React state decide, so the dialog and its owner never disagree.
        event.preventDefault();
        onCloseRef.current();
      }}
      onClose={() => {
        // The browser may close it itself (a repeated Escape); tell the owner, and restore focus.
        if (open) onCloseRef.current();
        restoreFocus(returnFocus.current);
      }}
      onClick={(event) => {
        if (dismissOnBackdrop && event.target === ref.current) onCloseRef.current();
      }}
      className={`m-auto w-[calc(100%-1.5rem)] ${widths[size]} max-h-[calc(100dvh-1.5rem)] overflow-hidden rounded-xl border border-slate-200 bg-white p-0 text-slate-900 shadow-2xl backdrop:bg-slate-900/50`}
    >
      {open && (
        <div className="flex max-h-[calc(100dvh-1.5rem)] flex-col">
          <div className="flex items-start justify-between gap-4 border-b border-slate-100 px-5 pt-4 pb-3">
            <div className="min-w-0">
              <h2 id={titleId} className="text-lg font-semibold">
                {title}
              </h2>
              {description && (
                <p id={descriptionId} className="mt-0.5 text-sm text-slate-600">
                  {description}
                </p>
              )}
            </div>
            <button
              type="button"
              onClick={() => onCloseRef.current()}
              aria-label="Close"
              className="-mr-1 rounded-md p-1.5 text-slate-500 hover:bg-slate-100 hover:text-slate-800 focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              <svg aria-hidden="true" viewBox="0 0 20 20" className="size-5" fill="currentColor">
                <path d="M6.28 5.22a.75.75 0 0 0-1.06 1.06L8.94 10l-3.72 3.72a.75.75 0 1 0 1.06 1.06L10 11.06l3.72 3.72a.75.75 0 1 0 1.06-1.06L11.06 10l3.72-3.72a.75.75 0 0 0-1.06-1.06L10 8.94 6.28 5.22Z" />
              </svg>
            </button>
          </div>
          <div data-dialog-body className="min-h-0 flex-1 overflow-y-auto px-5 py-4">
            {children}
          </div>
        </div>
      )}
    </dialog>
  );
}

/** The row of buttons at the foot of a dialog: stacked full-width on phones, right-aligned above. */
export function DialogActions({ children }: { children: React.ReactNode }) {
  return <div className="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">{children}</div>;
}
