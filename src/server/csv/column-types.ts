/**
 * What the CSV writer reads of a column: its name, and the coarse type that says whether its
 * strings are free text or the exact digits of a number, which decides formula neutralisation
 * (a "-12.5" in a numeric column is a number, a "-12.5" in a text column could be a formula).
 */
import type { Column } from "~/server/columns";

export type CsvColumn = Pick<Column, "name" | "type">;
