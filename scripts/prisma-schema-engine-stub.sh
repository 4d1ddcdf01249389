#!/bin/sh
echo "Prisma's schema engine is not installed here. Apply migrations with 'npm run db:migrate' (plain SQL in prisma/migrations)." >&2
exit 1
