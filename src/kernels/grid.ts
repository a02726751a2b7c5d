// Grid helpers shared by kernel wrappers.

/** Workgroups along x for a grid-stride loop over `size` elements: enough to cover it, capped by the limit. */
export function strideGroups(size: number, workgroupSize: number, limit = 65535): number {
  return Math.max(1, Math.min(Math.ceil(size / workgroupSize), limit));
}

export function assertPositiveInt(kernel: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${kernel}: ${name} = ${value}; it must be a positive integer`);
  }
}
