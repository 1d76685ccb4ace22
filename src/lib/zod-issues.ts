/**
 * Zod issues as the fields a caller got wrong. A union's own issue ("Invalid input" at `/auth`) says nothing; the
 * branch of the `type` the caller chose (auth "bearer") says which field is wrong, so its issues stand in for the
 * union's. Structural types only: the function needs no zod at run time.
 */

/** What a zod issue carries that matters here. */
export interface IssueLike {
  code?: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
  /** invalid_union: each branch's issues, paths relative to the union. */
  errors?: ReadonlyArray<ReadonlyArray<IssueLike>>;
}

const isTypeMismatch = (issue: IssueLike) => issue.path.length === 1 && issue.path[0] === "type";

/** A branch for another `type`: its own type did not match, or it is a union none of whose branches match. */
function mismatched(branch: ReadonlyArray<IssueLike>): boolean {
  return branch.some(
    (issue) =>
      isTypeMismatch(issue) ||
      (issue.code === "invalid_union" && !issue.path.length && (issue.errors || []).every(mismatched)),
  );
}

/** Of the branches whose `type` matched, the one with the fewest issues is the nearest to what was meant. */
function unionBranch(issue: IssueLike): ReadonlyArray<IssueLike> | null {
  const branches = (issue.errors || []).filter((branch) => branch.length && !mismatched(branch));
  if (!branches.length) return null;
  return branches.reduce((best, branch) => (branch.length < best.length ? branch : best));
}

/** Every issue with its full path, unions replaced by their chosen branch's issues (recursively). */
export function flatIssues(
  issues: ReadonlyArray<IssueLike>,
  prefix: ReadonlyArray<PropertyKey> = [],
): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    const branch = issue.code === "invalid_union" ? unionBranch(issue) : null;
    if (branch) out.push(...flatIssues(branch, path));
    else out.push({ path, message: issue.message });
  }
  return out;
}
