/** Query-string parameters of the REST API, checked the same way on every route. */
import { ApiError } from "./api-errors.js";

/** A whole number in [min, max], or undefined when absent or empty; anything else is INVALID_QUERY. */
export function intParam(
  q: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = q[name];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string" || !/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new ApiError("INVALID_QUERY", `${name} must be a whole number from ${min} to ${max}`);
  }
  return Number(v);
}

/** One short string, or undefined when absent or empty; anything else is INVALID_QUERY. */
export function strParam(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string" || v.length > 200)
    throw new ApiError("INVALID_QUERY", `${name} must be one short string`);
  return v;
}
