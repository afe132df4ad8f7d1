/**
 * What meshfed reads of a mesh file, so that every file gets its answer in bounded time and
 * memory (README, "Limits"). A real mesh file is far inside them: 2,000 clusters take about
 * 40,000 values and 700 KB.
 */
export const MESH_FILE_LIMITS = {
  /** Bytes of the file (MF1004). */
  bytes: 1024 * 1024,
  /** Keys, items and scalars, counted before the file is parsed (MF1005). */
  values: 100_000,
  /** Nesting of mappings and sequences (MF1006). */
  depth: 64,
  /** Aliases in the file (MF1007). */
  aliases: 1_000,
  /** Values the aliases add when expanded (MF1007): a billion laughs stops here. */
  aliasExpansion: 100_000,
  /** Clusters of one mesh (schema, MF2005). */
  clusters: 5_000,
  /** Remote secrets the plan would hold, primaries × other clusters (MF3051). */
  remoteSecrets: 200_000,
  /** Flat-network routes the plan would hold (MF3051). */
  routes: 200_000,
} as const;
