export {
  type CellKind,
  type CellType,
  cellTypeOf,
  type Column,
  type ColumnType,
  isNumericColumnType,
  typedColumn,
} from "./column-types";
