"use client";

import { Button, Spinner } from "~/components/ui/button";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { InlineError } from "~/components/ui/states";

type ConfirmDialogProps = {
  open: boolean;
  onClose: () => void;
  onConfirm: () => void;
  title: string;
  children: React.ReactNode;
  confirmLabel: string;
  pendingLabel?: string;
  pending?: boolean;
  /** Shown inside the dialog, so a refusal (a CONFLICT, say) is read where the user is looking. */
  error?: string | null;
  tone?: "danger" | "primary";
};

export function ConfirmDialog({ open, onClose, onConfirm, title, children, confirmLabel, pendingLabel, pending = false, error, tone = "danger" }: ConfirmDialogProps) {
  return (
    <Dialog open={open} onClose={() => !pending && onClose()} title={title} size="sm" dismissOnBackdrop={!pending}>
      <div className="text-sm text-slate-700">{children}</div>
      {error && <InlineError className="mt-4">{error}</InlineError>}
      <DialogActions>
        <Button onClick={onClose} disabled={pending}>
          Cancel
        </Button>
        <Button variant={tone} onClick={onConfirm} disabled={pending} aria-busy={pending}>
          {pending && <Spinner />}
          {pending ? (pendingLabel ?? confirmLabel) : confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
