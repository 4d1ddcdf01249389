"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useId, useRef, useState } from "react";

import { errorMessage } from "~/components/errors";
import { formatDate, formatDateTime, formatRelative } from "~/components/format";
import { isTeamAdmin, useTeam } from "~/components/team-context";
import { Button, Spinner } from "~/components/ui/button";
import { ConfirmDialog } from "~/components/ui/confirm-dialog";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { Field, inputClass } from "~/components/ui/fields";
import { GuardedButton } from "~/components/ui/guarded-button";
import { EmptyState, ErrorState, InlineError, PageHeader, Skeleton } from "~/components/ui/states";
import { useToast } from "~/components/ui/toast";
import { useNow } from "~/components/use-now";
import type { AppRouter } from "~/server/api/root";
import { tokenRevocationRefusal } from "~/server/teams/permissions";
import { useSingleFlight } from "~/components/use-single-flight";
import { useTRPC } from "~/trpc/react";

type ApiToken = inferRouterOutputs<AppRouter>["apiTokens"]["list"][number];

const grid = "md:grid-cols-[minmax(0,1fr)_9rem_8rem_9rem_6rem_5.5rem]";

const expiryChoices = [
  { value: "", label: "Never" },
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "365", label: "In a year" },
];

export function ApiTokensPage() {
  const { teamId, role } = useTeam();
  const trpc = useTRPC();
  const tokens = useQuery(trpc.apiTokens.list.queryOptions({ teamId }));
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);

  let body: React.ReactNode;
  if (tokens.isPending) {
    body = (
      <div aria-busy="true" aria-label="Loading tokens" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
        {[0, 1].map((i) => (
          <div key={i} className="flex items-center gap-4 p-4">
            <Skeleton className="h-4 w-40" />
            <Skeleton className="h-4 w-24" />
          </div>
        ))}
      </div>
    );
  } else if (tokens.isError) {
    body = <ErrorState title="Could not load tokens" message={errorMessage(tokens.error)} onRetry={() => void tokens.refetch()} retrying={tokens.isFetching} />;
  } else if (tokens.data.length === 0) {
    body = (
      <EmptyState title="No API tokens yet">
        {isTeamAdmin(role)
          ? "Create one above to call the REST API or a typed tRPC client as yourself, within this team."
          : "An owner or admin of the team creates tokens; the ones they make for you appear here."}
      </EmptyState>
    );
  } else {
    body = (
      <div className="rounded-lg border border-slate-200 bg-white shadow-sm">
        <div aria-hidden="true" className={`hidden gap-4 border-b border-slate-200 px-4 py-2 text-xs font-medium text-slate-500 md:grid ${grid}`}>
          <span>Name</span>
          <span>Token</span>
          <span>Created</span>
          <span>Last used</span>
          <span>Status</span>
          <span className="sr-only">Actions</span>
        </div>
        <ul aria-label="API tokens" className="divide-y divide-slate-100">
          {tokens.data.map((token) => (
            <TokenRow key={token.id} teamId={teamId} token={token} />
          ))}
        </ul>
      </div>
    );
  }

  return (
    <section aria-labelledby="tokens-heading">
      <PageHeader
        id="tokens-heading"
        title="API tokens"
        description={
          <>
            Tokens let scripts and other apps call the API as you, within this team. Send one as <code className="rounded bg-slate-100 px-1 font-mono text-xs">Authorization: Bearer …</code>
          </>
        }
      />
      {isTeamAdmin(role) ? (
        <CreateTokenForm teamId={teamId} onCreated={setCreated} />
      ) : (
        <p className="mb-4 text-sm text-slate-600">Only the team&apos;s owners and admins create tokens. You can see and revoke your own here.</p>
      )}
      {body}
      <Dialog open={created !== null} onClose={() => setCreated(null)} title="Copy your new token" size="md" dismissOnBackdrop={false}>
        {created && <TokenReveal name={created.name} token={created.token} onDone={() => setCreated(null)} />}
      </Dialog>
    </section>
  );
}

function CreateTokenForm({ teamId, onCreated }: { teamId: string; onCreated: (created: { name: string; token: string }) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [expires, setExpires] = useState("");
  const once = useSingleFlight();
  const create = useMutation(
    trpc.apiTokens.create.mutationOptions({
      onSuccess: (token) => {
        setName("");
        onCreated({ name: token.name, token: token.token });
        void queryClient.invalidateQueries(trpc.apiTokens.list.queryFilter({ teamId }));
      },
    }),
  );

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (!name.trim()) return;
        once(() => create.mutateAsync({ teamId, name: name.trim(), expiresInDays: expires ? Number(expires) : undefined }));
      }}
      aria-label="Create an API token"
      className="mb-6 flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
    >
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end">
        <Field label="Token name" className="flex-1">
          {(p) => (
            <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoComplete="off" placeholder="What will use it, e.g. Nightly sync" className={inputClass} />
          )}
        </Field>
        <Field label="Expires" className="sm:w-40">
          {(p) => (
            <select {...p} value={expires} onChange={(e) => setExpires(e.target.value)} className={inputClass}>
              {expiryChoices.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button type="submit" variant="primary" disabled={!name.trim() || create.isPending} aria-busy={create.isPending}>
          {create.isPending && <Spinner />}
          {create.isPending ? "Creating…" : "Create token"}
        </Button>
      </div>
      {create.isError && <InlineError>{errorMessage(create.error)}</InlineError>}
    </form>
  );
}

function TokenReveal({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const noteId = useId();

  async function copy() {
    try {
      await navigator.clipboard.writeText(token);
      setCopied("yes");
    } catch {
      // No clipboard access (an insecure origin, or permission refused): select it for Ctrl+C instead.
      inputRef.current?.select();
      setCopied("failed");
    }
  }

  return (
    <div className="flex flex-col gap-4">
      <p id={noteId} className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
        <strong className="font-semibold">You won&apos;t see this token again.</strong> Copy it now and keep it somewhere safe; only a hash of it is stored.
      </p>
      <Field label={`Token “${name}”`}>
        {(p) => (
          <div className="flex gap-2">
            <input
              {...p}
              ref={inputRef}
              readOnly
              value={token}
              aria-describedby={noteId}
              onFocus={(e) => e.currentTarget.select()}
              spellCheck={false}
              className={`${inputClass} min-w-0 flex-1 font-mono text-xs`}
            />
            <Button variant="primary" onClick={copy} data-autofocus>
              {copied === "yes" ? "Copied" : "Copy"}
            </Button>
          </div>
        )}
      </Field>
      <p aria-live="polite" className="min-h-5 text-sm text-slate-600">
        {copied === "yes" && "Copied to the clipboard."}
        {copied === "failed" && "Could not reach the clipboard; the token is selected, so press Ctrl+C (⌘C on a Mac)."}
      </p>
      <DialogActions>
        <Button onClick={onDone}>I have saved it</Button>
      </DialogActions>
    </div>
  );
}

function tokenStatus(token: ApiToken, now: number | null): { label: string; className: string } {
  if (token.revokedAt) return { label: "Revoked", className: "bg-slate-100 text-slate-700 ring-slate-300" };
  if (token.expiresAt && now !== null && token.expiresAt.getTime() <= now) return { label: "Expired", className: "bg-amber-50 text-amber-900 ring-amber-300" };
  return { label: "Active", className: "bg-green-50 text-green-800 ring-green-300" };
}

function TokenRow({ teamId, token }: { teamId: string; token: ApiToken }) {
  const viewer = useTeam();
  const mine = token.userId === viewer.userId;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const now = useNow();
  const [confirming, setConfirming] = useState(false);
  const once = useSingleFlight();
  const revoke = useMutation(
    trpc.apiTokens.revoke.mutationOptions({
      onSuccess: () => {
        setConfirming(false);
        toast.info(`Token “${token.name}” revoked.`);
        void queryClient.invalidateQueries(trpc.apiTokens.list.queryFilter({ teamId }));
      },
    }),
  );
  const status = tokenStatus(token, now);
  const active = !token.revokedAt;

  return (
    <li className={`grid grid-cols-[minmax(0,1fr)_auto] items-center gap-x-4 gap-y-1 px-4 py-3 ${grid}`}>
      <div className="min-w-0">
        <p className="truncate font-medium" title={token.name}>
          {token.name}
        </p>
        <p className="truncate text-xs text-slate-500" title={token.user.email}>
          {mine ? "Yours" : `${token.user.name ?? token.user.email}’s`}
        </p>
      </div>
      <p className="col-start-1 font-mono text-sm text-slate-700 md:col-start-auto">
        <span className="sr-only">Starts with </span>
        {token.prefix}…
      </p>
      <p className="col-start-1 text-sm text-slate-600 md:col-start-auto">
        <span className="md:sr-only">Created </span>
        <time dateTime={token.createdAt.toISOString()} title={formatDateTime(token.createdAt)}>
          {formatDate(token.createdAt)}
        </time>
      </p>
      <p className="col-start-1 text-sm text-slate-600 md:col-start-auto">
        <span className="md:sr-only">Last used </span>
        {token.lastUsedAt ? (
          <time dateTime={token.lastUsedAt.toISOString()} title={formatDateTime(token.lastUsedAt)}>
            {now === null ? formatDateTime(token.lastUsedAt) : formatRelative(token.lastUsedAt, now)}
          </time>
        ) : (
          "never"
        )}
      </p>
      <p className="col-start-1 md:col-start-auto">
        <span
          className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${status.className}`}
          title={
            token.revokedAt ? `Revoked ${formatDateTime(token.revokedAt)}` : token.expiresAt ? `Expires ${formatDateTime(token.expiresAt)}` : "Does not expire"
          }
        >
          {status.label}
        </span>
      </p>
      <div className="col-start-2 row-span-5 row-start-1 md:col-start-auto md:row-span-1 md:row-start-auto md:justify-self-end">
        {active && (
          <GuardedButton
            size="sm"
            variant="subtle-danger"
            onClick={() => setConfirming(true)}
            blockedBy={tokenRevocationRefusal(viewer, { userId: token.userId, holderRole: token.user.role })}
            aria-label={`Revoke ${token.name}`}
          >
            Revoke
          </GuardedButton>
        )}
      </div>
      <ConfirmDialog
        open={confirming}
        onClose={() => {
          setConfirming(false);
          revoke.reset();
        }}
        onConfirm={() => once(() => revoke.mutateAsync({ teamId, tokenId: token.id }))}
        pending={revoke.isPending}
        error={revoke.error ? errorMessage(revoke.error) : null}
        title="Revoke this token?"
        confirmLabel="Revoke token"
        pendingLabel="Revoking…"
      >
        <p>
          Anything using <strong className="font-medium text-slate-900">{token.name}</strong> ({token.prefix}…) will be refused from now on. This cannot be undone.
        </p>
      </ConfirmDialog>
    </li>
  );
}
