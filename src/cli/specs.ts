// What every command accepts: names, positionals and options. Kept apart from the commands so that help texts
// and argument errors need none of the GPU, browser or model code.
import { NO_TUNE_OPTION, RUNTIME_OPTION, SET_OPTION, type CommandSpec } from './args';

export const listSpec: CommandSpec = {
  name: 'list',
  summary: 'Lists the presets with one-line descriptions; --keys MODEL lists a model\'s config keys, defaults and allowed values.',
  positionals: '',
  minPositionals: 0,
  maxPositionals: 0,
  options: [{ name: 'keys', kind: 'string', valueName: 'MODEL', help: 'the config keys of a model (icl, scansnap or transformer)' }],
};

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'Trains a preset or a config file headless, with a live progress line, into a run folder that --resume continues.',
  positionals: '[preset | config.json]',
  minPositionals: 0,
  maxPositionals: 1,
  options: [
    SET_OPTION,
    { name: 'steps', kind: 'int', valueName: 'N', min: 1, max: 1e9, help: 'training steps (with --resume: the new total)' },
    { name: 'replicas', kind: 'int', valueName: 'R', min: 1, max: 65535, help: 'independent replicas trained in the same dispatches' },
    { name: 'seed', kind: 'int', valueName: 'S', min: 0, max: 2 ** 31 - 1, help: 'seed (replica r uses seed + r)' },
    { name: 'checkpoint-every', kind: 'int', valueName: 'N', min: 0, max: 1e9, help: 'steps between checkpoints (default: about a tenth of the run; 0: none, the run cannot be resumed)' },
    { name: 'out', kind: 'string', valueName: 'DIR', help: 'run folder (default runs/<name>-<UTC time>); must be new or empty' },
    { name: 'resume', kind: 'string', valueName: 'DIR', help: 'continue the run in DIR from its last checkpoint' },
    { name: 'no-analyze', kind: 'flag', help: "skip the preset's analyses after training" },
    NO_TUNE_OPTION,
    RUNTIME_OPTION,
  ],
};

export const sweepSpec: CommandSpec = {
  name: 'sweep',
  summary: 'Runs a grid of configs (× seeds) packed into replicas; --shard i/n runs every n-th pack so several machines can share a sweep.',
  positionals: '<preset | sweep.json>',
  minPositionals: 1,
  maxPositionals: 1,
  options: [
    { name: 'grid', kind: 'repeat', valueName: 'key=[v1,v2,...]', help: 'a grid axis (with a preset; sweep.json has "grid")' },
    { name: 'seeds', kind: 'int', valueName: 'N', min: 1, max: 65535, help: 'replicas (seeds) per grid point (default 1)' },
    SET_OPTION,
    { name: 'steps', kind: 'int', valueName: 'N', min: 1, max: 1e9, help: 'training steps of every run' },
    { name: 'max-replicas', kind: 'int', valueName: 'N', min: 1, max: 65535, help: 'most replicas packed into one trainer (default 64)' },
    { name: 'shard', kind: 'string', valueName: 'i/n', help: 'run shard i of n (1 <= i <= n): packs i-1, i-1+n, ...' },
    { name: 'metric', kind: 'string', valueName: 'NAME', help: 'metric of the results figure (default: the first evaluation metric)' },
    { name: 'out', kind: 'string', valueName: 'DIR', help: 'sweep folder (default runs/sweep-<name>-<UTC time>); rerun with the same DIR to continue' },
    { name: 'no-analyze', kind: 'flag', help: "skip the preset's analyses in every pack" },
    { name: 'plan', kind: 'flag', help: 'print the packs (configs, replicas, seeds) and the shard split, then exit without GPU work' },
    NO_TUNE_OPTION,
    RUNTIME_OPTION,
  ],
};

export const mergeSpec: CommandSpec = {
  name: 'merge',
  summary: "Joins the results of a sweep's shards (their folders) into one table (CSV and JSON) and figure.",
  positionals: '<sweep DIR> [DIR...]',
  minPositionals: 1,
  maxPositionals: Infinity,
  options: [
    { name: 'out', kind: 'string', valueName: 'DIR', help: 'where to write results.json/.csv/.svg (default runs/merged-<UTC time>)' },
    { name: 'metric', kind: 'string', valueName: 'NAME', help: 'metric of the figure (default: the first evaluation metric)' },
  ],
};

export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: "Evaluates a run's last checkpoint (with --set overrides such as S1 or alphaTest) and runs its preset's analyses.",
  positionals: '<run DIR>',
  minPositionals: 1,
  maxPositionals: 1,
  options: [
    SET_OPTION,
    { name: 'out', kind: 'string', valueName: 'DIR', help: 'output folder (default <run DIR>/eval-<UTC time>)' },
    { name: 'no-analyze', kind: 'flag', help: "only the evaluation, not the preset's analyses" },
    NO_TUNE_OPTION,
    RUNTIME_OPTION,
  ],
};

export const gradSpec: CommandSpec = {
  name: 'grad',
  summary: 'Loss and gradients (SPEC §3/§4 JSON) of a params set on a batch, on the GPU or from the float64 reference; every shape comes from the two files.',
  positionals: '',
  minPositionals: 0,
  maxPositionals: 0,
  options: [
    { name: 'params', kind: 'string', valueName: 'P.json', help: 'SPEC §3 params (a run\'s params.json or checkpoint.json works too)' },
    { name: 'batch', kind: 'string', valueName: 'B.json', help: 'SPEC §3 batch of the model' },
    { name: 'backend', kind: 'string', valueName: 'gpu|cpu', choices: ['gpu', 'cpu'], help: 'gpu (default) or cpu, the float64 reference' },
    { name: 'replica', kind: 'int', valueName: 'R', min: 0, help: 'which replica of a params file with several (default 0)' },
    { name: 'out', kind: 'string', valueName: 'FILE', help: 'write the JSON here instead of stdout' },
    RUNTIME_OPTION,
  ],
};

export const benchSpec: CommandSpec = {
  name: 'bench',
  summary: 'Runs the benchmarks (bench/), prints the table (adapter first) and writes the JSON result; `bench report A.json B.json ...` compares results as Markdown with SVG charts.',
  positionals: '[report FILE.json ...]',
  minPositionals: 0,
  maxPositionals: Infinity,
  options: [
    { name: 'repeats', kind: 'int', valueName: 'N', min: 1, max: 10000, help: 'timed repetitions per measurement (medians reported)' },
    { name: 'warmup', kind: 'int', valueName: 'N', min: 0, max: 10000, help: 'untimed repetitions first' },
    { name: 'quick', kind: 'flag', help: 'small shapes (a quick look, e.g. on SwiftShader)' },
    { name: 'filter', kind: 'string', valueName: 'REGEX', help: 'only entries whose name matches' },
    { name: 'files', kind: 'string', valueName: 'NAME,...', help: 'only these bench/entries files (names without .ts)' },
    { name: 'tune', kind: 'flag', help: 'time each call site\'s kernel variants while building the entries (as train does) and use the fastest; default: the adapter class\'s defaults; the choices go to the JSON\'s tuning (no cache read or written)' },
    { name: 'peers', kind: 'flag', help: 'time TensorFlow.js (WebGPU, WASM, CPU backends) on the same ICL and Scan & Snap training steps in the same page, and print replica-steps/s with the ratio to onelayer (alone, or with --files); chrome runtime only' },
    { name: 'out', kind: 'string', valueName: 'FILE', help: 'JSON result path (default bench/results/<time>.json); with report: the Markdown file, SVG charts beside it (default bench/results/report-<time>.md)' },
    RUNTIME_OPTION,
  ],
};

export const doctorSpec: CommandSpec = {
  name: 'doctor',
  summary: 'Says which browser (or Dawn), flags and WebGPU adapter a command would use, with the adapter\'s limits, or why there is none.',
  positionals: '',
  minPositionals: 0,
  maxPositionals: 0,
  options: [RUNTIME_OPTION],
};

export const tuneSpec: CommandSpec = {
  name: 'tune',
  summary: "Times each call site's kernel variants for presets or config files on this adapter and caches the fastest (what train would otherwise do on first use).",
  positionals: '[preset | config.json …]',
  minPositionals: 0,
  maxPositionals: 64,
  options: [SET_OPTION, { name: 'replicas', kind: 'int', valueName: 'R', min: 1, max: 65535, help: 'replicas (shapes depend on them)' }, RUNTIME_OPTION],
};
