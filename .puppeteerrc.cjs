// The project never downloads a browser (the machines have no network beyond the package registries):
// it drives a system Chrome/Chromium instead (see src/harness/launcher.ts, ONELAYER_CHROME overrides the path).
module.exports = { skipDownload: true };
