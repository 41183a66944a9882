// Svelte 5 with runes everywhere; used by both renderer builds and svelte-check.
export default {
  compilerOptions: { runes: true },
};
