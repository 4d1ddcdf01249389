/** The visits of one document. */
import { z } from "zod";

import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { idSchema } from "~/server/ids";
import { documentLayout } from "~/server/exports/visits/visit-file";

import { defineVisitKind } from "./visit-kind";

export const documentKind = defineVisitKind({
  id: "document",
  label: "Document visits",
  input: z.object({ documentId: idSchema }),
  rest: {
    path: "/api/teams/{teamId}/documents/{id}/export-visits",
    operationId: "exportDocumentVisits",
    summary: "Export a document's visits",
    params: { id: { field: "documentId", description: "The document's id." } },
  },

  target: (input) => ({ resourceId: input.documentId }),

  async findResource(teamId, target) {
    const doc = await db.document.findFirst({ where: { id: target.resourceId, teamId }, select: { name: true } });
    if (!doc) throw new AppError("NOT_FOUND", "No such document");
    return { name: doc.name };
  },

  layout: documentLayout,
  scope: async (target) => ({ views: { documentId: target.resourceId }, emptyVisits: null }),
});
