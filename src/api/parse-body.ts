/** Request bodies of the REST API, checked against their zod schema the same way on every route. */
import { z } from "zod";
import { ApiError } from "./api-errors.js";

/** The body as `schema` types it; anything else is INVALID_BODY with every issue listed. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    throw new ApiError("INVALID_BODY", z.prettifyError(r.error), {
      issues: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return r.data;
}
