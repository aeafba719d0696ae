// Style sheets are imported for esbuild, which gathers them into app.css; to TypeScript they are nothing.
declare module '*.css';
