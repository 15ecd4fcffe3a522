import { defineConfig } from "prisma/config";

// `prisma generate` needs no database; the runtime URL is passed to the adapter in
// contenders/prisma.ts.
export default defineConfig({
  schema: "prisma/schema.prisma",
});
