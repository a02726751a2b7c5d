// The page's tuning cache: the CLI keeps the tuner's choices in a file (src/cli/tuning.ts), a page or worker keeps
// them in IndexedDB — database 'onelayer', store 'tuning', one record per adapter line holding that adapter's
// choice list — so a shape is timed once per browser and adapter. A record that does not hold a choice list is
// reported and replaced, never trusted (the same check as the file's).
import { mergeChoices, tuneCacheProblem, type TuneChoice } from '../runtime/tuner';

export const DATABASE = 'onelayer';
export const STORE = 'tuning';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`tuning cache: IndexedDB '${DATABASE}' cannot be opened (${request.error?.message})`));
  });
}

function transact<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const request = work(tx.objectStore(STORE));
        tx.oncomplete = () => {
          db.close();
          resolve(request.result);
        };
        tx.onerror = () => {
          db.close();
          reject(new Error(`tuning cache: ${tx.error?.message ?? 'transaction failed'}`));
        };
      }),
  );
}

/** This adapter's cached choices, or none with the reason when its record cannot be trusted. */
export async function readTuningStore(adapter: string): Promise<{ choices: TuneChoice[]; problem?: string }> {
  const record: unknown = await transact('readonly', (store) => store.get(adapter));
  if (record === undefined) return { choices: [] };
  const problem = tuneCacheProblem({ format: 'onelayer-tuning/1', adapters: { [adapter]: record } });
  if (problem) return { choices: [], problem: `the record of ${adapter}: ${problem}; not used, and rebuilt from this run's timings` };
  return { choices: record as TuneChoice[] };
}

/** Adds what a run timed to this adapter's record (a bad record is replaced). */
export async function saveTuningStore(adapter: string, measured: TuneChoice[]): Promise<void> {
  if (measured.length === 0) return;
  const { choices } = await readTuningStore(adapter);
  await transact('readwrite', (store) => store.put(mergeChoices(choices, measured), adapter));
}
