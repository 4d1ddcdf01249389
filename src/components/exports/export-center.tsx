"use client";

export function ExportCenter({ teamId }: { teamId: string }) {
  return (
    <section aria-labelledby="exports-heading" data-team-id={teamId}>
      <h1 id="exports-heading" className="text-xl font-semibold">
        Exports
      </h1>
      <div className="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-10 text-center">
        <p className="font-medium">No exports yet</p>
        <p className="mt-1 text-sm text-slate-600">Exports you start will appear here, with their progress and download links.</p>
      </div>
    </section>
  );
}
