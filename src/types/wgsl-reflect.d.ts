// wgsl_reflect's package `main` is CommonJS that Node's ESM loader cannot name-import; we import its ESM file
// directly (works in vite and Node alike) and reuse the package's own types for it.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
