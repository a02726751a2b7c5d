import { getContext } from '../runtime/context';
import type { AdapterReport } from '../runtime/device';

/** The adapter of the environment's shared context (runs in the page, a worker or Node). */
export async function adapterReport(): Promise<AdapterReport> {
  return (await getContext()).adapter;
}
